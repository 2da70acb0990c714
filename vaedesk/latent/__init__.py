"""Latent-space maths: geometry, 2-D views, traversals, attributes and morphs. NumPy only, no Qt."""
