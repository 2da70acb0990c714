"""The latent plane: the widget, its graphics items and its export."""
