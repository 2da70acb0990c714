"""Pictures of digits (photos, scans, bitmaps) turned into MNIST-style 28x28 model inputs.

:func:`preprocess_image` makes grey intensity, ink made white, contrast stretched, cropped
to the ink, scaled to fit 20x20 and centred by mass (see :mod:`vaedesk.data.mnist_frame`).
:func:`load_image` opens a file the user chose, refusing what would decode to too much memory.
"""

from __future__ import annotations

import math
import os
import struct
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from vaedesk.data.mnist_frame import BOX_SIZE, FIELD_SIZE, MNIST_CENTRE, centre_of_mass, shift_fraction
from vaedesk.errors import ImageError, one_line
from vaedesk.support.safe_read import open_regular

__all__ = ["MAX_IMAGE_PIXELS", "MAX_IMAGE_BYTES", "preprocess_image", "load_image", "preprocess_file"]

MAX_IMAGE_PIXELS = 40_000_000
# Memory decoding an image may take (Pillow keeps 1, 2 or 4 bytes a pixel, see
# _BYTES_PER_PIXEL): a 33 MP RGB photo. Pixels alone do not bound it: a 0.7 MB PNG of
# 1 x 40 M RGBA pixels decodes to 480 MB.
MAX_IMAGE_BYTES = 128 * 2**20

# Images are shrunk to this working size first: plenty for a 20 px result, bounded memory.
_WORK_SIDE = 1024
# Images are converted to grey (or floats) and shrunk one tile of this side at a time.
_TILE_SIDE = 1024
# Crops larger than this are box-filtered down before the final resample so that the
# padded canvas for the subpixel resample stays small.
_PRESHRINK_SIDE = 80


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
    cy, cx = centre_of_mass(crop)
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
        ry, rx = centre_of_mass(out)
        sy -= (MNIST_CENTRE - ry) / scale
        sx -= (MNIST_CENTRE - rx) / scale
    if out.any():
        ry, rx = centre_of_mass(out)
        out = shift_fraction(out, MNIST_CENTRE - ry, MNIST_CENTRE - rx)
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
