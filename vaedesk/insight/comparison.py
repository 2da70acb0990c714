"""Comparing two models' latent spaces: which pair to show, the same prior draws for both,
and whether a draw lands among the model's own encoded digits. No Qt.

A VAE's KL term pulls its codes toward the prior N(0, I), so a draw from the prior lands
where digits are and decodes to one. A plain autoencoder puts its codes wherever
reconstruction likes them; in many dimensions most of N(0, I) is then empty space, and a
draw decodes to a blur. Measured on the model's own encoded test digits: a draw *lands among
them* when its 5th nearest is no farther than 99% of the digits are from their own 5th
neighbour, and gets a *confident vote* when at least 4 of those 5 share a class.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vaedesk.errors import LatentError

__all__ = ["AGREE", "NEIGHBOURS", "Placement", "default_pair", "digit_spacing", "place_draws", "prior_draws"]

NEIGHBOURS = 5  # the vote: this many nearest encoded test digits
AGREE = 4  # of which at least this many share a class for a confident vote
_SPACING_PERCENTILE = 99.0
_SPACING_POINTS = 1000  # test digits whose own neighbour distances set the spacing
_CHUNK = 512


def prior_draws(latent_dim: int, n: int, seed: int) -> np.ndarray:
    """``n`` draws ε ~ N(0, I) of ``latent_dim`` dimensions, the same for a seed: two models of
    one latent size decode the very same points."""
    if latent_dim < 1 or n < 0:
        raise LatentError(f"need a latent size ≥ 1 and a count ≥ 0, got {latent_dim} and {n}")
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)


def _nearest(queries: np.ndarray, points: np.ndarray, k: int, skip_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Distances (Q, k) and indices (Q, k) of each query's k nearest points, in chunks."""
    distances, indices = [], []
    squared = np.square(points).sum(1)
    for start in range(0, len(queries), _CHUNK):
        q = queries[start : start + _CHUNK]
        d2 = np.maximum(np.square(q).sum(1)[:, None] + squared[None] - 2.0 * q @ points.T, 0.0)
        take = k + 1 if skip_self else k
        index = np.argpartition(d2, take - 1, axis=1)[:, :take]
        order = np.take_along_axis(d2, index, 1).argsort(1)
        index = np.take_along_axis(index, order, 1)[:, 1:] if skip_self else np.take_along_axis(index, order, 1)
        indices.append(index)
        distances.append(np.sqrt(np.take_along_axis(d2, index, 1)))
    return np.concatenate(distances), np.concatenate(indices)


@dataclass(frozen=True)
class Placement:
    """Where draws land among a model's encoded test digits, one entry per draw."""

    among: np.ndarray  # (N,) bool: no farther from its 5 nearest digits than the digits' own spacing
    vote: np.ndarray  # (N,) int: the class most of its 5 nearest digits have
    confident: np.ndarray  # (N,) bool: at least 4 of the 5 have that class


def digit_spacing(codes: np.ndarray) -> float:
    """How far the encoded test digits ``codes`` (T, D) are from their own 5th nearest: the
    99th percentile over (a seeded subset of) them. A draw no farther out lands among them."""
    points = np.asarray(codes, np.float64)
    if points.ndim != 2 or len(points) <= NEIGHBOURS:
        raise LatentError(f"need more than {NEIGHBOURS} test codes (T, D), got {points.shape}")
    reference = points[np.random.default_rng(0).permutation(len(points))[:_SPACING_POINTS]]
    own, _ = _nearest(reference, points, NEIGHBOURS, skip_self=True)
    return float(np.percentile(own[:, -1], _SPACING_PERCENTILE))


def place_draws(z: np.ndarray, codes: np.ndarray, labels: np.ndarray, spacing: float | None = None) -> Placement:
    """Where each latent vector of ``z`` (N, D) lands among the encoded test digits ``codes``
    (T, D: one draw of each digit's posterior, its code for an autoencoder) of classes
    ``labels`` (T,); see the module's docstring. ``spacing`` is :func:`digit_spacing` of the
    codes (computed when not given)."""
    z = np.asarray(z, np.float64)
    points = np.asarray(codes, np.float64)
    labels = np.asarray(labels)
    if z.ndim != 2 or points.ndim != 2 or z.shape[1] != points.shape[1] or len(points) <= NEIGHBOURS:
        raise LatentError(f"need latents (N, D) and more than {NEIGHBOURS} test codes of the same D, "
                          f"got {z.shape} and {points.shape}")
    if labels.shape != (len(points),):
        raise LatentError(f"need one label per test code, got {labels.shape} for {len(points)}")
    if not len(z):
        return Placement(np.zeros(0, bool), np.zeros(0, np.int64), np.zeros(0, bool))
    if spacing is None:
        spacing = digit_spacing(points)
    distance, index = _nearest(z, points, NEIGHBOURS)
    votes, counts = [], []
    for row in labels[index]:
        values, count = np.unique(row, return_counts=True)
        votes.append(values[count.argmax()])
        counts.append(count.max())
    return Placement(distance[:, -1] <= spacing, np.array(votes, np.int64), np.array(counts) >= AGREE)


def default_pair(current: str, models: Sequence[tuple[str, str, int]]) -> tuple[str, str]:
    """The two models to compare first: a VAE and a plain autoencoder (``kind`` "vae", "ae")
    of the current model's latent size, the current one among them where it can be. ``models``
    lists (name, kind, latent size), in the order to prefer them."""
    if not models:
        raise LatentError("there are no models to compare")
    by_name = {name: (kind, dim) for name, kind, dim in models}
    dim = by_name.get(current, ("vae", 0))[1]

    def first(kind: str, size: int | None) -> str | None:
        if by_name.get(current) == (kind, size) or (size is None and by_name.get(current, ("",))[0] == kind):
            return current
        return next((n for n, k, d in models if k == kind and (size is None or d == size)), None)

    for size in (dim, None):  # the current latent size first, then any
        vae, ae = first("vae", size), first("ae", size)
        if vae is not None and ae is not None:
            return vae, ae
    names = [name for name, _, _ in models]
    other = next((n for n in names if n != current), current)
    return (current if current in by_name else names[0]), other
