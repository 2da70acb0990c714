"""The window's widgets: canvas, images, lens, loss, neighbours, traversals, arithmetic and morph panels."""
