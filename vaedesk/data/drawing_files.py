"""Drawings as PNG files that keep their vector strokes.

A saved drawing is an ordinary PNG (black ink on white, viewable anywhere) whose text chunk
``vaedesk-strokes`` holds the strokes as JSON, so opening it in vaedesk restores the exact
strokes (undo history aside). A PNG without that chunk is an ordinary image to import.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, PngImagePlugin

from vaedesk.data.images import load_image
from vaedesk.errors import DrawingError, ImageError
from vaedesk.support.atomic import atomic_path
from vaedesk.support.limits import CANVAS_SIZE

STROKES_KEY = "vaedesk-strokes"


def render_drawing(strokes: list[np.ndarray], size: int = CANVAS_SIZE, ink_width: float = 14.0) -> Image.Image:
    """Black strokes on white paper, as the canvas shows them (in canvas space, CANVAS_SIZE a side)."""
    scale = 4  # supersample for smooth edges
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    factor = size * scale / CANVAS_SIZE
    radius = ink_width * factor / 2
    for stroke in strokes:
        points = [(float(x) * factor, float(y) * factor) for x, y in np.asarray(stroke, float)]
        if len(points) > 1:
            draw.line(points, fill=0, width=max(1, round(2 * radius)), joint="curve")
        for x, y in points[:: max(1, len(points) - 1)] if len(points) > 1 else points:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=0)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def save_drawing(strokes: list[np.ndarray], path: str | os.PathLike, ink_width: float = 14.0) -> Path:
    """Write the drawing as a PNG carrying its strokes (atomically)."""
    if not strokes or all(len(s) == 0 for s in strokes):
        raise DrawingError("nothing to save: the drawing is empty")
    path = Path(path)
    info = PngImagePlugin.PngInfo()
    payload = {"version": 1, "canvas": CANVAS_SIZE, "ink_width": ink_width,
               "strokes": [np.round(np.asarray(s, float), 2).tolist() for s in strokes]}
    info.add_text(STROKES_KEY, json.dumps(payload, separators=(",", ":")))
    with atomic_path(path) as tmp:
        render_drawing(strokes, ink_width=ink_width).save(tmp, format="PNG", pnginfo=info)
    return path


def load_drawing(path: str | os.PathLike) -> list[np.ndarray] | None:
    """The strokes saved in a vaedesk drawing, or None for any other (valid) image."""
    image = load_image(path)
    text = image.info.get(STROKES_KEY)
    if text is None:
        return None
    try:
        payload = json.loads(text)
        strokes = [np.asarray(s, dtype=np.float64).reshape(-1, 2) for s in payload["strokes"]]
    except (ValueError, TypeError, KeyError) as exc:
        raise ImageError(f"{path}: the saved strokes are corrupt ({exc})") from None
    if not all(np.isfinite(s).all() for s in strokes):
        raise ImageError(f"{path}: the saved strokes contain invalid coordinates")
    return strokes
