"""The window's side of the model and training processes."""
