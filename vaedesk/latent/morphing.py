"""Morphs: decode a path through latent space between drawings, images or latent points."""

from __future__ import annotations

import operator
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vaedesk.errors import ExportError, LatentError
from vaedesk.latent.geometry import MAX_WAYPOINTS, interpolate_path, parse_point
from vaedesk.model.model import Model
from vaedesk.support.limits import DEFAULT_FRAME_SIZE, FRAMES_LIMIT, LATENT_LIMIT

_TEST_INDEX = re.compile(r"^test:(.*)$", re.DOTALL)
_NUMBERS = re.compile(r"^[\s+\-0-9.eE,naifNAIF()\[\]]+$")  # what parse_point reads, brackets too
# A file's extension, as in "digit.png": text with one is a file name, not a point.
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,4}$")
MAX_FRAMES = FRAMES_LIMIT  # far beyond any animation (the app offers 1000)

Endpoint = Any  # str spec, (28, 28) image array, (latent_dim,) vector, or a PIL image


def resolve_endpoint(model: Model, endpoint: Endpoint) -> np.ndarray:
    """A latent vector for one morph endpoint.

    Accepted: ``"test:7"`` (the posterior mean of MNIST test image 7), ``"0.5,-1.2"`` (latent
    coordinates), a path to an image file, a PIL image, a (28, 28) image array in [0, 1]
    (encoded as is) or a latent vector of the model's dimension. Images are encoded to
    their posterior mean.
    """
    from vaedesk.data.images import preprocess_file, preprocess_image

    if isinstance(endpoint, os.PathLike):
        endpoint = os.fspath(endpoint)
    if isinstance(endpoint, str):
        spec = endpoint.strip()
        if _TEST_INDEX.match(spec) and (spec[len("test:"):].isdigit() or not _exists(endpoint)):
            return _test_image_mean(model, spec)
        if not _exists(endpoint) and _looks_like_point(endpoint):
            return parse_point(endpoint, model.latent_dim)
        return model.encode(preprocess_file(endpoint)[None]).mean[0]
    if hasattr(endpoint, "getbands"):  # a PIL image
        return model.encode(preprocess_image(endpoint)[None]).mean[0]
    if isinstance(endpoint, (bytes, bytearray, dict, set)) or endpoint is None:
        raise LatentError(_not_an_endpoint(type(endpoint).__name__, model))
    try:
        array = np.asarray(endpoint, dtype=np.float32)
    except (TypeError, ValueError, OverflowError):
        raise LatentError(_not_an_endpoint(type(endpoint).__name__, model)) from None
    if array.shape == (28, 28):
        return model.encode(array[None]).mean[0]
    if array.shape == (model.latent_dim,):
        if not np.isfinite(array).all():
            raise LatentError("latent point contains NaN or infinite values")
        if np.abs(array).max() > LATENT_LIMIT:
            worst = array[np.abs(array).argmax()]
            raise LatentError(f"latent coordinates must lie within ±{LATENT_LIMIT:g}, got {worst:g}")
        return array
    raise LatentError(_not_an_endpoint(f"array of shape {array.shape}", model))


def _not_an_endpoint(what: str, model: Model) -> str:
    return (f"cannot use {what} as a morph endpoint (expected an image file, test:INDEX, latent "
            f"coordinates, a 28x28 image or a {model.latent_dim}-d latent point)")


def _test_image_mean(model: Model, spec: str) -> np.ndarray:
    """The posterior mean of MNIST test image ``spec`` ("test:7")."""
    from vaedesk.data.datasets import load_split

    test = load_split("test")
    digits = spec[len("test:"):]
    # int() refuses over 4300 digits, and an index that long is out of range anyway.
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 18 and int(digits) < len(test)):
        shown = spec if len(spec) <= 30 else spec[:27] + "..."
        raise LatentError(f"{shown}: test index must be in 0..{len(test) - 1}")
    return model.encode(test.images[int(digits)][None]).mean[0]


def _looks_like_point(text: str) -> bool:
    """Whether text that names no file was meant as latent coordinates ("0.5,-1.2", "0,abc")
    rather than a file name ("digt.png"): then its error says why it is not a point."""
    if _NUMBERS.match(text):
        return True
    return "," in text and "/" not in text and os.sep not in text and not _EXTENSION.search(text.strip())


def _exists(path: str) -> bool:
    try:
        return Path(path).exists()
    except (OSError, ValueError):  # a name the system refuses (too long, a NUL byte) is no file
        return False


def _frame_count(frames: Any) -> int:
    """``frames`` as a whole number in 2..MAX_FRAMES; ExportError otherwise."""
    try:
        if isinstance(frames, bool):
            raise TypeError
        count = operator.index(frames)
    except TypeError:
        raise ExportError(f"the number of frames must be a whole number, got {frames!r:.40}") from None
    if count < 2:
        raise ExportError(f"a morph needs at least 2 frames, got {count}")
    if count > MAX_FRAMES:
        raise ExportError(f"a morph has at most {MAX_FRAMES} frames, got {count}")
    return count


def morph_path(
    model: Model,
    endpoints: Sequence[Endpoint],
    frames: int = 48,
    method: str = "linear",
    easing: str = "linear",
) -> np.ndarray:
    """The latent points (frames, latent_dim) of a path through two or more endpoints."""
    if isinstance(endpoints, (str, bytes, os.PathLike, np.ndarray)) or not isinstance(endpoints, Sequence):
        raise LatentError(f"endpoints must be a list of morph endpoints, got {type(endpoints).__name__}")
    if len(endpoints) < 2:
        raise LatentError(f"a morph needs at least 2 endpoints, got {len(endpoints)}")
    if len(endpoints) > MAX_WAYPOINTS:
        raise LatentError(f"a morph has at most {MAX_WAYPOINTS} endpoints, got {len(endpoints)}")
    frames = _frame_count(frames)
    points = np.stack([resolve_endpoint(model, e) for e in endpoints])
    return interpolate_path(points, frames, method=method, easing=easing)


def morph_frames(
    model: Model,
    endpoints: Sequence[Endpoint],
    frames: int = 48,
    method: str = "linear",
    easing: str = "linear",
) -> np.ndarray:
    """Decoded frames (frames, 28, 28) along a path through two or more endpoints."""
    return model.decode(morph_path(model, endpoints, frames, method, easing))


def morph(
    model: Model,
    endpoints: Sequence[Endpoint],
    out: str | os.PathLike,
    *,
    frames: int = 48,
    fps: float = 24,
    size: int = DEFAULT_FRAME_SIZE,
    method: str = "linear",
    easing: str = "linear",
    pingpong: bool = False,
    progress: Callable[[int, int], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> Path:
    """Render a morph to an animated GIF (``out`` ends in .gif) or a folder of PNG frames."""
    from vaedesk.export import check_target, save_gif, save_png_frames

    out = check_target(out)
    if out.suffix and out.suffix.lower() != ".gif":  # before the decoding work
        raise ExportError(f"{out}: give a .gif file or a folder name for PNG frames")
    images = morph_frames(model, endpoints, frames, method, easing)
    options: dict[str, Any] = dict(size=size, pingpong=pingpong, progress=progress, should_cancel=should_cancel)
    if out.suffix:
        return save_gif(images, out, fps=fps, **options)
    return save_png_frames(images, out, **options)
