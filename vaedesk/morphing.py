"""Morphs: decode a path through latent space between drawings, images or latent points."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ExportError, LatentError
from .latent import interpolate_path, parse_point
from .model import Model

_TEST_INDEX = re.compile(r"^test:(\d+)$")
_NUMBERS = re.compile(r"^[\s+\-0-9.eE,naifNAIF()\[\]]+$")  # what parse_point reads, brackets too
# Far beyond any animation (the app offers 1000); each frame costs a decode and memory.
MAX_FRAMES = 10_000

Endpoint = Any  # str spec, (28, 28) image array, (latent_dim,) vector, or a PIL image


def resolve_endpoint(model: Model, endpoint: Endpoint) -> np.ndarray:
    """A latent vector for one morph endpoint.

    Accepted: ``"test:7"`` (the posterior mean of MNIST test image 7), ``"0.5,-1.2"`` (latent
    coordinates), a path to an image file, a PIL image, a (28, 28) image array in [0, 1]
    (encoded as is) or a latent vector of the model's dimension. Images are encoded to
    their posterior mean.
    """
    from .preprocess import preprocess_file, preprocess_image

    if isinstance(endpoint, os.PathLike):
        endpoint = os.fspath(endpoint)
    if isinstance(endpoint, str):
        match = _TEST_INDEX.match(endpoint.strip())
        if match:
            from .data import load_split

            test = load_split("test")
            digits = match.group(1)
            # int() refuses over 4300 digits, and an index that long is out of range anyway.
            if len(digits) > 18 or int(digits) >= len(test):
                shown = digits if len(digits) <= 18 else digits[:18] + "..."
                raise LatentError(f"test index {shown} out of range (the test set has {len(test)} images)")
            return model.encode(test.images[int(digits)][None]).mean[0]
        if _NUMBERS.match(endpoint) and not _exists(endpoint):
            return parse_point(endpoint, model.latent_dim)
        return model.encode(preprocess_file(endpoint)[None]).mean[0]
    if hasattr(endpoint, "getbands"):  # a PIL image
        return model.encode(preprocess_image(endpoint)[None]).mean[0]
    array = np.asarray(endpoint, dtype=np.float32)
    if array.shape == (28, 28):
        return model.encode(array[None]).mean[0]
    if array.shape == (model.latent_dim,):
        if not np.isfinite(array).all():
            raise LatentError("latent point contains NaN or infinite values")
        return array
    raise LatentError(
        f"cannot use an array of shape {array.shape} as a morph endpoint "
        f"(expected a 28x28 image or a {model.latent_dim}-d latent point)"
    )


def _exists(path: str) -> bool:
    try:
        return Path(path).exists()
    except OSError:  # a name the system refuses (too long) is no file: read it as numbers
        return False


def morph_frames(
    model: Model,
    endpoints: Sequence[Endpoint],
    frames: int = 48,
    method: str = "linear",
    easing: str = "linear",
) -> np.ndarray:
    """Decoded frames (frames, 28, 28) along a path through two or more endpoints."""
    if len(endpoints) < 2:
        raise LatentError(f"a morph needs at least 2 endpoints, got {len(endpoints)}")
    if frames < 2:
        raise ExportError(f"a morph needs at least 2 frames, got {frames}")
    if frames > MAX_FRAMES:
        raise ExportError(f"a morph has at most {MAX_FRAMES} frames, got {frames}")
    points = np.stack([resolve_endpoint(model, e) for e in endpoints])
    return model.decode(interpolate_path(points, frames, method=method, easing=easing))


def morph(
    model: Model,
    endpoints: Sequence[Endpoint],
    out: str | os.PathLike,
    *,
    frames: int = 48,
    fps: float = 24,
    size: int = 280,
    method: str = "linear",
    easing: str = "linear",
    pingpong: bool = False,
    progress: Callable[[int, int], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> Path:
    """Render a morph to an animated GIF (``out`` ends in .gif) or a folder of PNG frames."""
    from .export import save_gif, save_png_frames

    images = morph_frames(model, endpoints, frames, method, easing)
    out = Path(out)
    options = dict(size=size, pingpong=pingpong, progress=progress, should_cancel=should_cancel)
    if out.suffix.lower() == ".gif":
        return save_gif(images, out, fps=fps, **options)
    if out.suffix:
        raise ExportError(f"{out}: give a .gif file or a folder name for PNG frames")
    return save_png_frames(images, out, **options)
