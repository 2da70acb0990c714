"""Checked conversions of numbers and arrays a caller hands to the latent maths.

Every problem (a NaN, a ragged list, a count out of range) raises
:class:`~vaedesk.errors.LatentError` with a one-line message naming what was wrong.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from vaedesk.errors import LatentError
from vaedesk.support.limits import LATENT_DIM_LIMIT, LATENT_LIMIT


def as_float_array(value: ArrayLike, what: str) -> np.ndarray:
    """Convert to a float64 array, turning NumPy's complaints into a LatentError."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        # Ragged nested lists and non-numeric entries both end up here.
        raise LatentError(f"{what} must be a rectangular array of numbers") from None
    return array


def check_finite(array: np.ndarray, what: str) -> None:
    if not np.all(np.isfinite(array)):
        raise LatentError(f"{what} contains NaN or infinite values")


def check_latent_range(array: np.ndarray) -> None:
    """Refuse coordinates beyond ±LATENT_LIMIT, where no decoder gives a picture."""
    if array.size and float(np.abs(array).max()) > LATENT_LIMIT:
        worst = array.flat[np.abs(array).argmax()]
        raise LatentError(f"latent coordinates must lie within ±{LATENT_LIMIT:g}, got {worst:g}")


def check_dim(dim: int, what: str) -> None:
    if dim > LATENT_DIM_LIMIT:
        raise LatentError(f"{what} must have at most {LATENT_DIM_LIMIT} dimensions, got {dim}")


def cut(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters: an error message stays one short line."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown(value: Any, limit: int = 60) -> str:
    return cut(repr(value), limit)


def as_count(value: Any, what: str, minimum: int, maximum: int | None = None) -> int:
    """An integer in [minimum, maximum]; bools and floats are refused to catch caller mistakes."""
    if isinstance(value, bool):
        raise LatentError(f"{what} must be an integer, got {value!r}")
    try:
        count = operator.index(value)
    except TypeError:
        raise LatentError(f"{what} must be an integer, got {shown(value)}") from None
    if count < minimum:
        raise LatentError(f"{what} must be at least {minimum}, got {count}")
    if maximum is not None and count > maximum:
        raise LatentError(f"{what} must be at most {maximum}, got {count}")
    return count


def as_real(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise LatentError(f"{what} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise LatentError(f"{what} must be a number, got {shown(value)}") from None
    if not math.isfinite(number):
        raise LatentError(f"{what} must be finite, got {shown(value)}")
    return number


def as_vector(value: ArrayLike, what: str, length: int | None = None) -> np.ndarray:
    array = as_float_array(value, what)
    if array.ndim != 1 or (length is not None and array.shape[0] != length):
        want = f"({length},)" if length is not None else "a 1-D array"
        raise LatentError(f"{what} must have shape {want}, got {array.shape}")
    check_finite(array, what)
    return array
