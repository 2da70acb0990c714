"""The app's fast plotting kit: shared plot style, axes, grid lines, markers, cached pixels, live text, ranges."""
