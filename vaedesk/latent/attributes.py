"""Latent arithmetic: an attribute is the direction from one group of examples to another.

Two groups ("upright" and "slanted" drawings, thin and bold digits, 3s and 8s) each have a
mean latent; their difference is the attribute vector (:func:`vaedesk.attribute_vector`).
Adding α times it to a drawing's latent moves the drawing along that attribute. A group
is made of :class:`Member` s — drawings (model inputs, encoded), latents (such as pins'),
or test-set digits (by index) — which :func:`group_latents` turns into latents. A named
:class:`Attribute` belongs to the model it was computed with and is kept in the session.
No Qt and no torch here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from vaedesk.errors import LatentError
from vaedesk.support.arrays import as_float_array, check_finite
from vaedesk.support.limits import LATENT_DIM_LIMIT, LATENT_LIMIT

__all__ = [
    "MAX_ATTRIBUTES", "MAX_ATTRIBUTE_DIM", "MAX_NAME_LENGTH", "MEMBER_KINDS", "Attribute", "Member",
    "attribute_vector", "check_attribute", "check_attribute_name", "group_latents", "shifted",
]

MEMBER_KINDS = ("images", "latents", "test")
MAX_ATTRIBUTES = 100  # in one session, over every model
MAX_ATTRIBUTE_DIM = LATENT_DIM_LIMIT  # keeps a session at every limit within its file size
MAX_NAME_LENGTH = 60


@dataclass(frozen=True)
class Member:
    """One entry of a group: ``kind`` "images" ((N, 28, 28) model inputs), "latents"
    ((N, D) latent points, such as pins') or "test" ((N,) test-set indices); ``label`` says
    what it is to the user."""

    kind: str
    data: np.ndarray
    label: str

    def __post_init__(self) -> None:
        if self.kind not in MEMBER_KINDS:
            raise LatentError(f"unknown kind of group member {self.kind!r}; expected one of {MEMBER_KINDS}")
        ndim, tail = {"images": (3, (28, 28)), "latents": (2, None), "test": (1, ())}[self.kind]
        data = np.asarray(self.data)
        if data.ndim != ndim or (tail is not None and data.shape[1:] != tail) or len(data) == 0:
            shape = {"images": "(N, 28, 28)", "latents": "(N, D)", "test": "(N,)"}[self.kind]
            raise LatentError(f"{self.label}: a group member of kind {self.kind!r} needs shape {shape} "
                              f"with N ≥ 1, got {data.shape}")
        object.__setattr__(self, "data", data)

    def __len__(self) -> int:
        return len(self.data)


def attribute_vector(model: object, group_a: ArrayLike, group_b: ArrayLike) -> np.ndarray:
    """The direction from group A to group B in the latent space: the difference of their
    mean latents (D,). A group is images (N, 28, 28), encoded by ``model``, or latents (N, D)."""

    def centre(group: ArrayLike, what: str) -> np.ndarray:
        array = as_float_array(group, what)
        if array.ndim == 3 and array.shape[1:] == (28, 28):
            array = model.encode(array).mean  # type: ignore[attr-defined]
        dim = model.latent_dim  # type: ignore[attr-defined]
        if array.ndim != 2 or array.shape[1] != dim or len(array) == 0:
            raise LatentError(f"{what} must be images (N, 28, 28) or latents (N, {dim}) with N ≥ 1, "
                              f"got shape {array.shape}")
        check_finite(array, what)
        return array.mean(0)

    return centre(group_b, "group B") - centre(group_a, "group A")


def group_latents(members: Sequence[Member], encode_means: Any, latent_dim: int,
                  test_means: np.ndarray | None = None) -> np.ndarray:
    """Every example of a group as a latent (N, latent_dim).

    ``encode_means(images)`` gives posterior means (the model's encoder); ``test_means``
    (T, D) are the test set's posterior means, for members that name test digits.
    """
    if not members:
        raise LatentError("a group needs at least one example")
    parts = []
    for member in members:
        if member.kind == "images":
            parts.append(np.asarray(encode_means(member.data.astype(np.float32)), np.float64))
        elif member.kind == "latents":
            if member.data.shape[1] != latent_dim:
                raise LatentError(f"{member.label}: has {member.data.shape[1]} latent dimensions, "
                                  f"the model {latent_dim}")
            latents = member.data.astype(np.float64)
            check_finite(latents, member.label)
            parts.append(latents)
        else:
            if test_means is None:
                raise LatentError(f"{member.label}: the test set is not available")
            index = member.data.astype(np.int64)
            if index.min() < 0 or index.max() >= len(test_means):
                raise LatentError(f"{member.label}: test digits are numbered 0 to {len(test_means) - 1}")
            parts.append(np.asarray(test_means[index], np.float64))
    return np.concatenate(parts)


def shifted(latent: np.ndarray, vector: np.ndarray, alpha: float) -> np.ndarray:
    """``latent + alpha · vector``, kept within the decoder's range (±LATENT_LIMIT)."""
    return np.clip(np.asarray(latent, np.float64) + float(alpha) * np.asarray(vector, np.float64),
                   -LATENT_LIMIT, LATENT_LIMIT)


@dataclass(frozen=True)
class Attribute:
    """A named attribute of one model: the direction ``vector`` (D,) from group A's mean
    latent ``start`` (D,) to group B's. ``description`` says what the groups were."""

    name: str
    model: str
    start: np.ndarray
    vector: np.ndarray
    description: str = ""

    @property
    def end(self) -> np.ndarray:
        return self.start + self.vector

    def belongs_to(self, model: str, latent_dim: int) -> bool:
        return self.model == model and len(self.vector) == latent_dim


_NAME_OK = re.compile(r"^[^\x00-\x1f\x7f]+$")


def check_attribute_name(name: Any) -> str:
    """The name stripped, or LatentError for an empty, over-long or control-character name."""
    if not isinstance(name, str):
        raise LatentError("an attribute's name must be text")
    name = name.strip()
    if not name:
        raise LatentError("give the attribute a name")
    if len(name) > MAX_NAME_LENGTH:
        raise LatentError(f"an attribute's name may have at most {MAX_NAME_LENGTH} characters")
    if not _NAME_OK.match(name):
        raise LatentError("an attribute's name may not hold control characters")
    return name


def _check_latent(value: Any, what: str, dim: int | None) -> np.ndarray:
    if not isinstance(value, (list, tuple, np.ndarray)):
        raise LatentError(f"{what} must be a list of numbers")
    if not all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
               for v in value):
        raise LatentError(f"{what} must be a list of numbers")
    if not 1 <= len(value) <= MAX_ATTRIBUTE_DIM or (dim is not None and len(value) != dim):
        raise LatentError(f"{what} must have {dim or f'1 to {MAX_ATTRIBUTE_DIM}'} numbers, got {len(value)}")
    numbers = [float(v) if abs(v) < 1e300 else math.inf for v in value]
    array = np.array(numbers, np.float64)
    if not np.isfinite(array).all() or np.abs(array).max() > LATENT_LIMIT:
        raise LatentError(f"{what} must be finite numbers within ±{LATENT_LIMIT:g}")
    return array


def check_attribute(attribute: Any, what: str = "attribute") -> Attribute:
    """The attribute as saved and restored, or LatentError naming what is wrong."""
    if not isinstance(attribute, Attribute):
        raise LatentError(f"{what} is not an attribute")
    try:
        name = check_attribute_name(attribute.name)
    except LatentError as exc:
        raise LatentError(f"{what}: {exc}") from None
    if not isinstance(attribute.model, str) or not attribute.model or len(attribute.model) > 4096:
        raise LatentError(f"{what} '{name}': its model must be a name")
    start = _check_latent(attribute.start, f"{what} '{name}': start", None)
    vector = _check_latent(attribute.vector, f"{what} '{name}': vector", len(start))
    description = attribute.description if isinstance(attribute.description, str) else ""
    return Attribute(name, attribute.model, start, vector, description[:200])
