"""Turn mouse drawings and image files into MNIST-style 28x28 model inputs.

MNIST digits were made from binary scans of handwriting by

1. scaling the digit's ink so that it fits a 20x20 pixel box, keeping its aspect ratio,
   with anti-aliasing (so the stroke edges are grey), and
2. placing the 20x20 result in a 28x28 field so that the ink's centre of mass sits at
   the centre of the field (integer shifts only, hence a +-0.5 px spread).

The result is white ink (1.0) on black (0.0).  A model trained on MNIST only recognises
inputs that follow the same conventions, so both entry points here reproduce them:

* :func:`preprocess_strokes` renders a list of pen strokes with a round, anti-aliased pen
  whose width is fixed in 28x28 pixels (so the user's zoom level does not matter), at an
  8x supersampled resolution, shifts it to put the centre of mass on the MNIST centre and
  box-filters it down to 28x28.
* :func:`preprocess_image` turns a photo, scan or bitmap of a digit into the same form:
  grey intensity, ink made white, contrast stretched, cropped to the ink, scaled to fit
  20x20 and centred by mass.

Measured on the 60,000 MNIST training images (pixel values scaled to [0, 1]):

* mean centre of mass (row, column) in pixel-index coordinates = (13.996, 14.007), std
  0.29 (uniform +-0.5 from the integer shift), so the target centre is index 14.0 on both
  axes, i.e. 14.5 in continuous coordinates where pixel i spans [i, i + 1);
* ink bounding box: the larger side is exactly 20 px in 99.98% of images, i.e. MNIST fits
  the *ink* (stroke thickness included) to 20 px;
* ink mass (sum of pixel values): mean 102.4, median 99.9 (digit 1: 59.6, digit 0: 135.9);
* stroke width = ink mass / skeleton length (Zhang-Suen skeleton of pixels > 0.5, length
  = 1.12 x skeleton pixels): median 2.36 px, mean 2.55 px (10th-90th pct 1.66-3.63).
"""

from __future__ import annotations

import math
import numbers
import os
import struct
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, UnidentifiedImageError

from vaedesk.errors import DrawingError, ImageError, one_line
from vaedesk.support.safe_read import open_regular

__all__ = [
    "DEFAULT_PEN_WIDTH",
    "FIELD_SIZE",
    "BOX_SIZE",
    "MNIST_CENTRE",
    "MIN_PEN_WIDTH",
    "MAX_PEN_WIDTH",
    "check_drawing",
    "MAX_POINTS",
    "MAX_COORDINATE",
    "MAX_IMAGE_PIXELS",
    "MAX_IMAGE_BYTES",
    "preprocess_strokes",
    "preprocess_image",
    "load_image",
    "preprocess_file",
]

FIELD_SIZE = 28
BOX_SIZE = 20.0
# Mean MNIST centre of mass in pixel-index coordinates (row, column), measured: 14.0, 14.0.
MNIST_CENTRE = 14.0
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
MAX_IMAGE_PIXELS = 40_000_000
# Memory decoding an image may take (Pillow keeps 1, 2 or 4 bytes a pixel, see
# _BYTES_PER_PIXEL): a 33 MP RGB photo. Pixels alone do not bound it: a 0.7 MB PNG of
# 1 x 40 M RGBA pixels decodes to 480 MB.
MAX_IMAGE_BYTES = 128 * 2**20

# Supersampling factor for stroke rendering: 8x keeps the pen width and position errors
# of Pillow's integer rasteriser at 1/16 px while a 224x224 canvas stays fast to draw.
_SUPERSAMPLE = 8
# Keep a vertex every half output pixel: the chord error on a 2 px radius curve is 0.02 px,
# and dropping the mouse's denser points keeps rendering well under a millisecond.
_VERTEX_SPACING = 0.5
# Images are shrunk to this working size first: plenty for a 20 px result, bounded memory.
_WORK_SIDE = 1024
# Images are converted to grey (or floats) and shrunk one tile of this side at a time.
_TILE_SIDE = 1024
# Crops larger than this are box-filtered down before the final resample so that the
# padded canvas for the subpixel resample stays small.
_PRESHRINK_SIDE = 80


# --------------------------------------------------------------------------- strokes


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


def _shift_fraction(img: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """Shift by less than a pixel with linear interpolation; moves the centre of mass exactly."""
    out = img
    for axis, d in ((0, dy), (1, dx)):
        if abs(d) < 1e-6:
            continue
        a = min(abs(d), 1.0)
        moved = np.zeros_like(out)
        if d > 0:
            if axis == 0:
                moved[1:] = out[:-1]
            else:
                moved[:, 1:] = out[:, :-1]
        elif axis == 0:
            moved[:-1] = out[1:]
        else:
            moved[:, :-1] = out[:, 1:]
        out = (1.0 - a) * out + a * moved
    return out


def _centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    """Centre of mass (row, column) in pixel-index coordinates."""
    mass = float(img.sum(dtype=np.float64))
    rows = np.arange(img.shape[0], dtype=np.float64)
    cols = np.arange(img.shape[1], dtype=np.float64)
    cy = float(img.sum(axis=1, dtype=np.float64) @ rows) / mass
    cx = float(img.sum(axis=0, dtype=np.float64) @ cols) / mass
    return cy, cx


def _shift_int(img: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Translate by whole pixels, filling with zeros (ink pushed off the field is lost)."""
    h, w = img.shape
    out = np.zeros_like(img)
    if abs(dy) >= h or abs(dx) >= w:
        return out
    out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = img[
        max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


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
    hires = _shift_int(hires, round((target - cy) * ss), round((target - cx) * ss))
    low_res = hires.reshape(FIELD_SIZE, ss, FIELD_SIZE, ss).sum(axis=(1, 3), dtype=np.int32)
    out = low_res.astype(np.float32) / np.float32(255 * ss * ss)
    # ...and remove the remaining <= 1/16 px with an exact linear subpixel shift.
    if out.any():
        ry, rx = _centre_of_mass(out)
        out = _shift_fraction(out, MNIST_CENTRE - ry, MNIST_CENTRE - rx)
    return np.clip(out, 0.0, 1.0).astype(np.float32, copy=False)


# --------------------------------------------------------------------------- images

_HIGH_BIT_MODES = {"I", "I;16", "I;16L", "I;16B", "I;16N", "F"}
_ALPHA_MODES = {"RGBA", "RGBa", "LA", "La", "PA"}
# Bytes a pixel of each mode takes in Pillow; every other mode takes 4 (three and four bands too).
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}


def _check_pixels(height: int, width: int) -> None:
    if height <= 0 or width <= 0:
        raise ImageError(f"image is empty ({width}x{height} pixels)")
    if height * width > MAX_IMAGE_PIXELS:
        raise ImageError(
            f"image is too large ({width}x{height} = {width * height} pixels, "
            f"limit {MAX_IMAGE_PIXELS})"
        )


def _shrink(arr: np.ndarray, max_side: int) -> np.ndarray:
    """Area-average a float image down so its longer side is at most ``max_side``."""
    h, w = arr.shape
    if max(h, w) <= max_side:
        return arr
    f = max_side / max(h, w)
    size = (max(1, round(w * f)), max(1, round(h * f)))
    img = Image.fromarray(np.ascontiguousarray(arr, dtype=np.float32))
    return np.asarray(img.resize(size, Image.Resampling.BOX), dtype=np.float32)


def _boxes(height: int, width: int, side: int) -> Iterator[tuple[int, int, int, int]]:
    """(left, top, right, bottom) of the tiles of at most ``side`` x ``side`` covering an image."""
    for top in range(0, height, side):
        for left in range(0, width, side):
            yield left, top, min(width, left + side), min(height, top + side)


def _reduce_tiles(height: int, width: int, tile: Callable[[tuple[int, int, int, int]], Image.Image]) -> np.ndarray:
    """An image area-averaged to the working size, converted and reduced one tile at a time.

    ``tile(box)`` gives the pixels of ``box`` as a Pillow image in mode L, LA or F. Returns
    float32 (H', W', bands), values as the tiles hold them. Converting a whole large image
    at once would hold one or two more copies of it (an LA or float copy is 4 to 8 bytes a
    pixel); tiles keep that to a megapixel. Tiles are a multiple of the reduction factor, so
    the result equals reducing the whole image.
    """
    factor = -(-max(height, width) // _WORK_SIDE)
    side = max(factor, _TILE_SIDE // factor * factor)
    out: np.ndarray | None = None
    for box in _boxes(height, width, side):
        part = tile(box)
        if factor > 1:
            part = part.reduce(factor)  # premultiplies alpha for LA, as a BOX average must
        pixels = np.asarray(part, dtype=np.float32)
        if pixels.ndim == 2:
            pixels = pixels[:, :, None]
        if out is None:
            out = np.empty((-(-height // factor), -(-width // factor), pixels.shape[2]), np.float32)
        top, left = box[1] // factor, box[0] // factor
        out[top : top + pixels.shape[0], left : left + pixels.shape[1]] = pixels
    assert out is not None  # _check_pixels refused empty images
    return out


def _unit_scale(kind: str, lo: float, hi: float) -> Callable[[np.ndarray], np.ndarray]:
    """The map of pixel values of an image spanning [lo, hi] to float32 intensities in [0, 1].

    ``kind`` is the NumPy dtype kind: "b" (bool), "i"/"u" (integers) or "f" (floats, already
    known to be finite). The same map applies to every tile of the image.
    """
    if kind == "b":
        return lambda a: a.astype(np.float32)
    if kind in "iu":
        if lo >= 0:
            # Usual bit depths first, so the contrast of a faint digit is not exaggerated.
            full = 255 if hi <= 255 else 65535 if hi <= 65535 else hi
            return lambda a: (a.astype(np.float64) / full).astype(np.float32)
        return lambda a: ((a.astype(np.float64) - lo) / max(hi - lo, 1)).astype(np.float32)
    if lo >= 0.0 and hi <= 1.0:
        return lambda a: a.astype(np.float32)
    if lo >= 0.0 and hi <= 255.0:
        return lambda a: (a / 255.0).astype(np.float32)
    # Halved, so that a range wider than the largest float does not overflow to inf.
    half_lo, half_span = 0.5 * lo, 0.5 * hi - 0.5 * lo
    if half_span <= 0.0:
        return lambda a: np.zeros(a.shape, dtype=np.float32)
    return lambda a: ((0.5 * a.astype(np.float64) - half_lo) / half_span).astype(np.float32)


def _extrema(kind: str, tiles: Iterator[np.ndarray]) -> tuple[float, float]:
    """Smallest and largest value over the tiles; ImageError for NaN or infinity."""
    lo, hi = math.inf, -math.inf
    for part in tiles:
        lo, hi = min(lo, part.min().item()), max(hi, part.max().item())
    if kind == "f" and not (math.isfinite(lo) and math.isfinite(hi)):  # min and max are NaN if any pixel is
        raise ImageError("image has NaN or infinite values")
    return lo, hi


def _array_to_unit(arr: np.ndarray) -> np.ndarray:
    """A 2-D numeric array as float32 intensities in [0, 1] at working size."""
    kind = "b" if arr.dtype == np.bool_ else arr.dtype.kind
    if kind not in "biuf":  # not np.integer, which includes timedelta64
        raise ImageError(f"image array has unsupported dtype {arr.dtype}")
    height, width = arr.shape
    lo, hi = (0, 1) if kind == "b" else _extrema(kind, iter([arr]))
    scale = _unit_scale(kind, lo, hi)

    def tile(box: tuple[int, int, int, int]) -> Image.Image:
        left, top, right, bottom = box
        return Image.fromarray(scale(arr[top:bottom, left:right]))

    return _reduce_tiles(height, width, tile)[:, :, 0]


def _convert(image: Image.Image, target: str, via: str) -> Image.Image:
    """Convert to ``target``, going through ``via`` where Pillow has no direct route."""
    try:
        return image.convert(target)
    except ValueError:
        return image.convert(via).convert(target)


def _pil_to_unit(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """Grey intensity and alpha (or None) in [0, 1] at working size, from any Pillow mode."""
    width, height = image.size
    _check_pixels(height, width)
    if getattr(image, "n_frames", 1) > 1 and image.tell() != 0:
        image.seek(0)  # animated images: the first frame is the digit
    mode = image.mode
    try:
        if mode in _HIGH_BIT_MODES:
            # NumPy reads I;16 as uint16, I as int32 and F as float32, tile by tile.
            kind = np.asarray(image.crop((0, 0, 1, 1))).dtype.kind
            lo, hi = _extrema(kind, (np.asarray(image.crop(box)) for box in _boxes(height, width, _TILE_SIDE)))
            scale = _unit_scale(kind, lo, hi)
            gray = _reduce_tiles(height, width, lambda box: Image.fromarray(scale(np.asarray(image.crop(box)))))
            return gray[:, :, 0], None
        has_alpha = mode in _ALPHA_MODES or "transparency" in image.info
        target, via = ("LA", "RGBA") if has_alpha else ("L", "RGB")
        bands = _reduce_tiles(height, width, lambda box: _convert(image.crop(box), target, via)) / np.float32(255)
        return bands[:, :, 0], (bands[:, :, 1] if has_alpha else None)
    except ImageError:
        raise
    except (OSError, ValueError) as exc:
        raise ImageError(f"cannot read pixels of {mode} image: {exc}") from None


def _flatten_alpha(gray: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """Composite onto a background that makes transparent areas look like the paper."""
    if alpha is None or alpha.min() >= 0.99:
        return gray
    if alpha.max() < 0.01:
        raise ImageError("image is blank (fully transparent)")
    opaque = alpha > 0.5
    if opaque.mean() > 0.5:
        # Mostly opaque: a scan with transparent margins; margins take the paper's colour.
        background = float(np.median(gray[opaque]))
    else:
        # Ink on a transparent background: put it on paper of the opposite brightness.
        ink = float((gray * alpha).sum() / alpha.sum())
        background = 1.0 if ink < 0.5 else 0.0
    return gray * alpha + background * (1.0 - alpha)


def _border(gray: np.ndarray) -> np.ndarray:
    h, w = gray.shape
    t = max(1, round(0.03 * min(h, w)))
    if 2 * t >= min(h, w):
        return gray.ravel()
    return np.concatenate(
        (gray[:t].ravel(), gray[-t:].ravel(), gray[t:-t, :t].ravel(), gray[t:-t, -t:].ravel())
    )


def _ink_map(gray: np.ndarray) -> np.ndarray:
    """White ink on black, background 0, ink 1; raises ImageError when there is no ink."""
    if float(gray.max()) - float(gray.min()) < 1e-6:
        raise ImageError("image is blank (constant intensity)")
    background = float(np.median(_border(gray)))
    p_dark, p_light = np.percentile(gray, [0.1, 99.9])
    if background - p_dark > p_light - background:
        gray = 1.0 - gray  # dark ink on light paper
    # Ink is a minority of the pixels, so the median and MAD describe the paper and its noise.
    level = float(np.median(gray))
    noise = 1.4826 * float(np.median(np.abs(gray - level)))
    lo = level + 3.0 * noise
    above = gray[gray > lo]
    if above.size == 0:
        raise ImageError("image is blank (no ink found)")
    hi = float(np.percentile(above, 90))
    if hi - lo < max(0.04, 3.0 * noise):
        raise ImageError("image is blank (no ink stands out from the background)")
    ink = np.clip((gray - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)
    # Noise specks: inked pixels with fewer than two inked neighbours are dropped.
    on = np.pad(ink > 0, 1).astype(np.int8)
    h, w = ink.shape
    neighbours = sum(
        on[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
        if dy or dx
    )
    ink[neighbours < 2] = 0.0
    if not ink.any():
        raise ImageError("image is blank (only isolated specks)")
    return ink


def _fit_and_centre(crop: np.ndarray) -> np.ndarray:
    """Scale the cropped ink to fit 20x20 and put its centre of mass at index 14 (subpixel)."""
    h, w = crop.shape
    if max(h, w) > _PRESHRINK_SIDE:
        crop = _shrink(crop, _PRESHRINK_SIDE)
        h, w = crop.shape
    scale = BOX_SIZE / max(h, w)
    margin = math.ceil(FIELD_SIZE / scale) + 2
    canvas = np.zeros((h + 2 * margin, w + 2 * margin), dtype=np.float32)
    canvas[margin : margin + h, margin : margin + w] = crop
    image = Image.fromarray(canvas)
    cy, cx = _centre_of_mass(crop)
    # Source point (continuous) that lands on the output centre of mass, 14.5 continuous.
    sy, sx = cy + 0.5 + margin, cx + 0.5 + margin
    span = FIELD_SIZE / scale
    out = np.zeros((FIELD_SIZE, FIELD_SIZE), dtype=np.float32)
    for _ in range(2):
        # Resampling moves the centre of mass slightly; a second pass corrects it.
        y0 = sy - (MNIST_CENTRE + 0.5) / scale
        x0 = sx - (MNIST_CENTRE + 0.5) / scale
        box = (x0, y0, x0 + span, y0 + span)
        out = np.asarray(
            image.resize((FIELD_SIZE, FIELD_SIZE), Image.Resampling.LANCZOS, box=box),
            dtype=np.float32,
        )
        out = np.clip(out, 0.0, 1.0)
        if not out.any():
            break
        ry, rx = _centre_of_mass(out)
        sy -= (MNIST_CENTRE - ry) / scale
        sx -= (MNIST_CENTRE - rx) / scale
    if out.any():
        ry, rx = _centre_of_mass(out)
        out = _shift_fraction(out, MNIST_CENTRE - ry, MNIST_CENTRE - rx)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def preprocess_image(image: Image.Image | np.ndarray) -> np.ndarray:
    """Normalise a picture of a digit like MNIST; return a (28, 28) float32 in [0, 1].

    Accepts a Pillow image of any mode (an animated image is seeked to, and uses, its first
    frame) or a 2-D numpy
    array of any numeric or bool dtype.  Transparent backgrounds are flattened, dark ink on
    light paper is inverted, the contrast is stretched from the paper level (median plus
    three noise sigmas) to the ink level (90th percentile of the ink), isolated specks are
    dropped, and the ink is cropped, scaled to fit 20x20 and centred by mass at (14, 14).
    Raises ImageError for empty, oversized, NaN, non-2-D or blank images.
    """
    if isinstance(image, Image.Image):
        gray, alpha = _pil_to_unit(image)
    elif isinstance(image, np.ndarray):
        if image.ndim != 2:
            raise ImageError(f"image array must be 2-D, got shape {image.shape}")
        _check_pixels(*image.shape)
        gray, alpha = _array_to_unit(image), None
    else:
        raise ImageError(f"expected a PIL image or a 2-D numpy array, got {type(image).__name__}")
    if not np.isfinite(gray).all():
        raise ImageError("image has NaN or infinite values")
    ink = _ink_map(_flatten_alpha(gray, alpha))
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return _fit_and_centre(crop)


# --------------------------------------------------------------------------- files


def _decoded_bytes(width: int, height: int, mode: str) -> int:
    """What Pillow allocates to decode an image: its pixels plus a pointer for each row
    (a 1 x 40 M pixel image needs 320 MB of row pointers for 40 MB of pixels)."""
    return width * height * _BYTES_PER_PIXEL.get(mode, 4) + height * 8


def load_image(path: str | os.PathLike[str]) -> Image.Image:
    """Open and fully decode an image file (its first frame); raise ImageError if unusable.

    The pixel count and the memory decoding takes (:data:`MAX_IMAGE_BYTES`) are checked
    from the header before decoding, so a decompression bomb is refused without allocating
    its pixels.  Only regular files are read.  The file handle is always closed.
    """
    with open_regular(path, ImageError, "an image file") as fh:
        p = Path(path)
        try:
            if os.fstat(fh.fileno()).st_size == 0:
                raise ImageError(f"{p}: file is empty")
            with warnings.catch_warnings():
                # Pillow only warns below twice its own limit; treat the warning as fatal.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(fh) as img:
                    width, height = img.size
                    if width * height > MAX_IMAGE_PIXELS:
                        raise ImageError(
                            f"{p}: image too large ({width}x{height} pixels, limit "
                            f"{MAX_IMAGE_PIXELS}); possible decompression bomb"
                        )
                    if width <= 0 or height <= 0:
                        raise ImageError(f"{p}: image has no pixels ({width}x{height})")
                    img.seek(0)
                    needed = _decoded_bytes(width, height, img.mode)
                    if needed > MAX_IMAGE_BYTES:
                        raise ImageError(
                            f"{p}: image too large to decode ({width}x{height} {img.mode} needs "
                            f"{needed / 2**20:,.0f} MB, limit {MAX_IMAGE_BYTES // 2**20} MB)"
                        )
                    img.load()
                    # The decoded pixels in an image of their own, detached from the file so
                    # the handle can close; copy() would hold them twice for a moment. _new is
                    # Pillow's own (undocumented) way to wrap pixels; copy() where it is gone.
                    detach = getattr(img, "_new", None)
                    return detach(img.im) if detach is not None else img.copy()
        except ImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageError(f"{p}: image too large (possible decompression bomb)") from None
        except UnidentifiedImageError:
            raise ImageError(f"{p}: not an image file (or an unsupported format)") from None
        except PermissionError:
            raise ImageError(f"{p}: permission denied") from None
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error) as exc:
            raise ImageError(f"{p}: truncated or corrupt image ({one_line(exc)})") from None
        except Exception as exc:  # a corrupt file can trip any error inside a Pillow decoder
            raise ImageError(f"{p}: cannot decode image ({one_line(exc)})") from None


def preprocess_file(path: str | os.PathLike[str]) -> np.ndarray:
    """:func:`load_image` then :func:`preprocess_image`; every ImageError names the file."""
    image = load_image(path)
    try:
        return preprocess_image(image)
    except ImageError as exc:  # "image is blank" alone would not say which file
        raise ImageError(f"{Path(path)}: {exc}") from None

