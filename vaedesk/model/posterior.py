"""The encoder's output as plain arrays: NumPy only, so the window can hold one without torch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Posterior:
    """The encoder's output for a batch: a diagonal Gaussian q(z|x) per image.

    ``mean`` and ``logvar`` are (N, latent_dim) arrays; ``logvar`` is None for a plain
    autoencoder, whose encoder returns a point, not a distribution.
    """

    mean: np.ndarray
    logvar: np.ndarray | None

    @property
    def std(self) -> np.ndarray | None:
        return None if self.logvar is None else np.exp(0.5 * self.logvar)

    def sample(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """``n`` draws z ~ q(z|x) for each image: shape (N, n, latent_dim)."""
        rng = rng or np.random.default_rng()
        if self.logvar is None:
            return np.repeat(self.mean[:, None, :], n, axis=1)
        noise = rng.standard_normal((self.mean.shape[0], n, self.mean.shape[1])).astype(np.float32)
        return self.mean[:, None, :] + noise * np.exp(0.5 * self.logvar)[:, None, :]

    def kl(self) -> np.ndarray:
        """KL(q(z|x) || N(0, I)) of each image in nats, the loss's pull toward the prior
        (training's formula, :func:`vaedesk.model.nets.kl_to_prior`); zeros for an autoencoder,
        which has no distribution.

        In NumPy, not torch: the window asks for it on its own thread at every stroke, its
        process does not import torch, and torch's per-call overhead would cost more than
        the sum itself.
        """
        if self.logvar is None:
            return np.zeros(len(self), np.float64)
        mean, logvar = self.mean.astype(np.float64), self.logvar.astype(np.float64)
        return 0.5 * (mean**2 + np.exp(logvar) - 1.0 - logvar).sum(axis=1)

    def __len__(self) -> int:
        return self.mean.shape[0]
