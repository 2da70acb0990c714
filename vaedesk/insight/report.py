"""What the model makes of one drawing, as plain values: NumPy only, so the window can hold one
without torch (:func:`vaedesk.insight.explanation.explain` computes it)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DrawingReport:
    """One drawing (a 28x28 model input) as the model sees it. All losses in nats.

    ``recon_nats + kl_nats == neg_elbo_nats``; ``kl_per_dim.sum() == kl_nats``;
    ``pixel_error.sum() == recon_nats``.
    """

    recon_nats: float  # E_q[-log p(x|z)]: the reconstruction term (BCE summed over pixels)
    kl_nats: float  # KL(q(z|x) || N(0, I)): the pull toward the prior (0 for an autoencoder)
    kl_per_dim: np.ndarray  # (D,) the KL of each latent dimension
    neg_elbo_nats: float  # recon + KL: the loss the model was trained to make small
    iwae_nats: float | None  # importance-weighted estimate of -log p(x) (<= the -ELBO); None if not asked
    percentile: float | None  # 0-100: the share of test digits whose -ELBO is lower; None without a reference
    pixel_error: np.ndarray  # (28, 28) each pixel's share of the reconstruction term, nats
    decoded_mean: np.ndarray  # (28, 28) per-pixel mean of decoded posterior samples
    decoded_std: np.ndarray  # (28, 28) per-pixel standard deviation of decoded posterior samples
    neighbours: np.ndarray  # (K,) indices into the training set of the nearest posterior means
    neighbour_labels: np.ndarray  # (K,) their labels
    # (D,) bool: dimensions the model does not use (their mean barely varies over the test set)
    inactive_dims: np.ndarray
    neighbour_distances: np.ndarray | None = None  # (K,) their Euclidean distances, nearest first
