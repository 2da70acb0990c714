"""Mouse and pen drawings turned into MNIST-style 28x28 model inputs.

:func:`preprocess_strokes` renders a list of pen strokes with a round, anti-aliased pen
whose width is fixed in 28x28 pixels (so the user's zoom level does not matter), at an 8x
supersampled resolution, shifts it to put the centre of mass on the MNIST centre and
box-filters it down to 28x28 (see :mod:`vaedesk.data.mnist_frame` for the conventions).
:func:`check_drawing` is the one check of a drawing's strokes and pen width that the
canvas, the session file and the model process share.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from vaedesk.data.mnist_frame import BOX_SIZE, FIELD_SIZE, MNIST_CENTRE, centre_of_mass, shift_fraction, shift_int
from vaedesk.errors import DrawingError

__all__ = [
    "DEFAULT_PEN_WIDTH",
    "MIN_PEN_WIDTH",
    "MAX_PEN_WIDTH",
    "MAX_POINTS",
    "MAX_COORDINATE",
    "check_drawing",
    "preprocess_strokes",
]

# Pen width in 28x28 pixels.  MNIST's measured stroke width is 2.36 px (median) / 2.55 px
# (mean) and its mean ink mass 102.4.  Measured the same way on 500 preprocessed drawings
# from vaedesk.data.sketches: pen 2.4 -> mass 97.2, width 2.35; pen 2.5 -> mass 100.6, width
# 2.41; pen 2.6 -> mass 104.7, width 2.53.  2.5 sits between MNIST's median and mean.
DEFAULT_PEN_WIDTH = 2.5
# Thinner pens fall below the 8x canvas's resolution (measured: a dot of 0.125 px or less
# leaves no ink at all, and lines under 0.5 px come out up to twice as wide as asked).
MIN_PEN_WIDTH = 0.5
MAX_PEN_WIDTH = 10.0
MAX_POINTS = 100_000
MAX_COORDINATE = 1e6

# Supersampling factor for stroke rendering: 8x keeps the pen width and position errors
# of Pillow's integer rasteriser at 1/16 px while a 224x224 canvas stays fast to draw.
_SUPERSAMPLE = 8
# Keep a vertex every half output pixel: the chord error on a 2 px radius curve is 0.02 px,
# and dropping the mouse's denser points keeps rendering well under a millisecond.
_VERTEX_SPACING = 0.5


def _pen(pen_width: float | None) -> float:
    if pen_width is None:
        return DEFAULT_PEN_WIDTH
    if isinstance(pen_width, bool) or not isinstance(pen_width, (int, float, np.integer, np.floating)):
        raise DrawingError(f"pen width must be a number, got {type(pen_width).__name__}")
    try:
        width = float(pen_width)
    except OverflowError:  # an integer of hundreds of digits (a damaged session file)
        width = math.inf
    if not (math.isfinite(width) and MIN_PEN_WIDTH <= width <= MAX_PEN_WIDTH):
        raise DrawingError(
            f"pen width must be in [{MIN_PEN_WIDTH:g}, {MAX_PEN_WIDTH:g}] pixels, got {pen_width!r}"
        )
    return width


def _validate_strokes(strokes: Any, allow_empty: bool = False) -> list[np.ndarray]:
    """Return the non-empty strokes as float64 (K, 2) arrays or raise DrawingError."""
    if isinstance(strokes, np.ndarray):
        if strokes.ndim != 3:
            raise DrawingError(
                f"drawing must be a list of (K, 2) strokes, got an array of shape {strokes.shape}"
            )
    elif isinstance(strokes, (str, bytes)) or not isinstance(strokes, Sequence):
        raise DrawingError(f"drawing must be a list of strokes, got {type(strokes).__name__}")
    parts: list[np.ndarray] = []
    total = 0
    for i, stroke in enumerate(strokes):
        # Count before converting so a huge drawing is refused without copying it.
        if isinstance(stroke, (str, bytes)):  # text has a length but holds no points
            raise DrawingError(f"stroke {i} is not a sequence of points")
        try:
            n = len(stroke)
        except TypeError:
            raise DrawingError(f"stroke {i} is not a sequence of points") from None
        total += n
        if total > MAX_POINTS:
            raise DrawingError(f"drawing has more than {MAX_POINTS} points")
        if n == 0:
            continue
        try:
            arr = _as_coordinates(stroke)
        except OverflowError:  # a Python int too large for a float
            raise DrawingError(f"stroke {i} has coordinates out of range (|value| > {MAX_COORDINATE:g})") from None
        except (TypeError, ValueError):
            raise DrawingError(f"stroke {i} is not an array of numeric (x, y) points") from None
        if arr.size == 0:
            continue
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise DrawingError(f"stroke {i} has shape {arr.shape}, expected (K, 2)")
        if not np.isfinite(arr).all():
            raise DrawingError(f"stroke {i} has NaN or infinite coordinates")
        if np.abs(arr).max() > MAX_COORDINATE:
            raise DrawingError(f"stroke {i} has coordinates out of range (|value| > {MAX_COORDINATE:g})")
        parts.append(arr)
    if not parts and not allow_empty:
        raise DrawingError("drawing is empty (no points)")
    return parts


def check_drawing(strokes: Any, pen_width: float | None = None,
                  allow_empty: bool = False) -> tuple[list[np.ndarray], float]:
    """The drawing's non-empty strokes as float64 (K, 2) arrays and its pen width, checked
    against the limits every part of vaedesk shares (points, coordinates, pen); raises
    DrawingError naming the first problem. Whatever passes here can be rendered and saved.
    The arrays may be the caller's own: copy them to keep them."""
    return _validate_strokes(strokes, allow_empty), _pen(pen_width)


def _as_coordinates(stroke: Any) -> np.ndarray:
    """float64 array of a stroke's real numbers; TypeError for anything else."""
    arr = np.asarray(stroke)
    # NumPy would parse numeric text, turn None into NaN and drop imaginary parts: refuse them.
    if arr.dtype.kind == "O" and all(isinstance(v, numbers.Real) for v in arr.flat):
        arr = arr.astype(np.float64)  # huge Python ints raise OverflowError here
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"not real numbers: {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def _decimate(q: np.ndarray, spacing: float) -> np.ndarray:
    """Keep the first point of every `spacing` of arc length, plus the last point."""
    if len(q) <= 2:
        return q
    seg = np.hypot(*np.diff(q, axis=0).T)
    arc = np.concatenate(([0.0], np.cumsum(seg)))
    bins = np.floor(arc / spacing)
    keep = np.empty(len(q), dtype=bool)
    keep[0] = True
    keep[1:] = bins[1:] != bins[:-1]
    keep[-1] = True
    return q[keep]


def _render(parts: list[np.ndarray], origin: np.ndarray, scale: float, pen: float) -> np.ndarray:
    """Draw the strokes on the supersampled canvas, drawing bbox centred; return uint8 array."""
    ss = _SUPERSAMPLE
    side = FIELD_SIZE * ss
    image = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(image)
    # Pillow fills polygons and ellipses including their boundary pixels (one extra pixel
    # across), so shrink both by half a pixel each side to get the true pen width.
    half = max(pen * ss / 2.0 - 0.5, 0.0)
    centre = side / 2.0
    for stroke in parts:
        q = (stroke - origin) * (scale * ss) + centre
        q = _decimate(q, _VERTEX_SPACING * ss)
        if len(q) > 1:
            # One rectangle per segment; round joins and caps come from the discs below.
            d = np.diff(q, axis=0)
            length = np.hypot(d[:, 0], d[:, 1])
            ok = length > 1e-9
            if ok.any():
                a, b, d, length = q[:-1][ok], q[1:][ok], d[ok], length[ok]
                normal = np.stack((-d[:, 1], d[:, 0]), axis=1) * (half / length)[:, None]
                quads = np.stack((a + normal, b + normal, b - normal, a - normal), axis=1)
                for quad in quads.reshape(len(quads), 8).tolist():
                    draw.polygon(quad, fill=255)
        for x, y in q.tolist():
            draw.ellipse((x - half, y - half, x + half, y + half), fill=255)
    return np.asarray(image)



def preprocess_strokes(strokes: Sequence[Any], pen_width: float | None = None) -> np.ndarray:
    """Render a drawing the way MNIST digits were made; return a (28, 28) float32 in [0, 1].

    ``strokes`` is a list of (K, 2) array-likes of x, y canvas coordinates (y down, any
    canvas size or scale).  The drawing is scaled so that its ink (centre line plus pen)
    spans 20 px on its longer side, drawn with a round anti-aliased pen ``pen_width``
    pixels wide (at 28x28; default :data:`DEFAULT_PEN_WIDTH`, independent of how large the
    user drew), and shifted so that its centre of mass is at pixel index (14.0, 14.0).
    A drawing that is a single point becomes a centred dot.  Raises DrawingError for
    malformed, empty, non-finite, out-of-range or oversized drawings.
    """
    parts, pen = check_drawing(strokes, pen_width)
    points = np.concatenate(parts)
    low, high = points.min(axis=0), points.max(axis=0)
    extent = float((high - low).max())
    # A zero extent along one axis (a straight line) is fine: the longer side sets the scale.
    # Extents lost in rounding noise of the coordinates count as a single point.
    tiny = 1e-12 * max(1.0, float(np.abs(points).max()))
    inner = max(BOX_SIZE - pen, 1.0)  # centre-line box, so ink = centre line + pen = 20 px
    scale = inner / extent if extent > tiny else 0.0
    hires = _render(parts, (low + high) / 2.0, scale, pen)

    ss = _SUPERSAMPLE
    mass_rows = hires.sum(axis=1, dtype=np.int64)
    mass_cols = hires.sum(axis=0, dtype=np.int64)
    total = float(mass_rows.sum())
    if total <= 0.0:  # cannot happen for a positive pen width, but never divide by zero
        return np.zeros((FIELD_SIZE, FIELD_SIZE), dtype=np.float32)
    # Centre of mass on the fine grid in output-pixel units (fine pixel j covers
    # [j/ss, (j+1)/ss)); box filtering preserves it, so shift by whole fine pixels here...
    idx = (np.arange(hires.shape[0], dtype=np.float64) + 0.5) / ss
    cy = float(mass_rows @ idx) / total
    cx = float(mass_cols @ idx) / total
    target = MNIST_CENTRE + 0.5
    hires = shift_int(hires, round((target - cy) * ss), round((target - cx) * ss))
    low_res = hires.reshape(FIELD_SIZE, ss, FIELD_SIZE, ss).sum(axis=(1, 3), dtype=np.int32)
    out = low_res.astype(np.float32) / np.float32(255 * ss * ss)
    # ...and remove the remaining <= 1/16 px with an exact linear subpixel shift.
    if out.any():
        ry, rx = centre_of_mass(out)
        out = shift_fraction(out, MNIST_CENTRE - ry, MNIST_CENTRE - rx)
    return np.clip(out, 0.0, 1.0).astype(np.float32, copy=False)
