"""The model: networks, the NumPy-facing Model, its card and where models live. No Qt."""
