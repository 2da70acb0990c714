"""Comparing two models' latent spaces: which pair to show, the same prior draws for both,
and whether a draw decodes to a digit. No Qt.

A VAE's KL term pulls its codes toward the prior N(0, I), so a draw from the prior lands
where digits are and decodes to one. A plain autoencoder puts its codes wherever
reconstruction likes them; a draw from N(0, I) then often falls between them and decodes to
a blur or a scribble. Measured with the model's own eyes: the decoding is encoded again, and
the 5 encoded test digits nearest its code vote on its class; the vote is *confident* when
at least 4 of the 5 agree. A digit-like decoding gets a confident vote, a scribble rarely does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vaedesk.errors import LatentError

__all__ = ["AGREE", "NEIGHBOURS", "Votes", "default_pair", "prior_draws", "vote"]

NEIGHBOURS = 5  # the vote: this many nearest encoded test digits
AGREE = 4  # of which at least this many share a class for a confident vote
_CHUNK = 512


def prior_draws(latent_dim: int, n: int, seed: int) -> np.ndarray:
    """``n`` draws ε ~ N(0, I) of ``latent_dim`` dimensions, the same for a seed: two models of
    one latent size decode the very same points."""
    if latent_dim < 1 or n < 0:
        raise LatentError(f"need a latent size ≥ 1 and a count ≥ 0, got {latent_dim} and {n}")
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)


def _nearest(queries: np.ndarray, points: np.ndarray, k: int, skip_self: bool = False) -> np.ndarray:
    """Indices (Q, k) of each query's k nearest points, nearest first, in chunks; with
    ``skip_self`` the queries are points themselves, each left out of its own neighbours."""
    indices = []
    squared = np.square(points).sum(1)
    take = k + 1 if skip_self else k
    for start in range(0, len(queries), _CHUNK):
        q = queries[start : start + _CHUNK]
        d2 = np.square(q).sum(1)[:, None] + squared[None] - 2.0 * q @ points.T
        index = np.argpartition(d2, take - 1, axis=1)[:, :take]
        index = np.take_along_axis(index, np.take_along_axis(d2, index, 1).argsort(1), 1)
        indices.append(index[:, 1:] if skip_self else index)
    return np.concatenate(indices)


@dataclass(frozen=True)
class Votes:
    """The 5-NN vote on each of N codes among a model's encoded test digits."""

    vote: np.ndarray  # (N,) int: the class most of the 5 nearest have
    confident: np.ndarray  # (N,) bool: at least 4 of the 5 have it

    @property
    def share(self) -> float:
        """The fraction of confident votes (0 for none)."""
        return float(self.confident.mean()) if len(self.confident) else 0.0


def vote(codes: np.ndarray, means: np.ndarray, labels: np.ndarray, leave_one_out: bool = False) -> Votes:
    """The 5-NN vote on each of ``codes`` (N, D) among the encoded test digits ``means``
    (T, D) of classes ``labels`` (T,). ``leave_one_out``: the codes are the first N means
    themselves, each left out of its own vote (how confidently the test digits are voted on)."""
    codes = np.asarray(codes, np.float64)
    points = np.asarray(means, np.float64)
    labels = np.asarray(labels)
    if codes.ndim != 2 or points.ndim != 2 or codes.shape[1] != points.shape[1] or len(points) <= NEIGHBOURS:
        raise LatentError(f"need codes (N, D) and more than {NEIGHBOURS} test means of the same D, "
                          f"got {codes.shape} and {points.shape}")
    if labels.shape != (len(points),):
        raise LatentError(f"need one label per test mean, got {labels.shape} for {len(points)}")
    if not len(codes):
        return Votes(np.zeros(0, np.int64), np.zeros(0, bool))
    classes, counts = [], []
    for row in labels[_nearest(codes, points, NEIGHBOURS, skip_self=leave_one_out)]:
        values, count = np.unique(row, return_counts=True)
        classes.append(values[count.argmax()])
        counts.append(count.max())
    return Votes(np.array(classes, np.int64), np.array(counts) >= AGREE)


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
