"""The posterior readout under the canvas, as text. No Qt."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from vaedesk.model.posterior import Posterior

READOUT_DIMENSIONS = 8  # the readout lists this many dimensions, then says how many more
Values = Sequence[float] | np.ndarray  # one number per dimension


def sigma_text(sigma: float) -> str:
    """A σ as every text of the app writes it: ``σ=0.03``, two decimals as μ has, never
    signed; a σ that two decimals would show as 0.00 keeps two significant digits
    (``σ=0.0042``)."""
    value = abs(float(sigma))
    if 0.0 < value < 0.005:
        return f"σ={value:.{1 - math.floor(math.log10(value))}f}"
    return f"σ={value:.2f}"


def dimension_text(index: int, mean: float, sigma: float) -> str:
    """One latent dimension of a posterior: ``z1 μ=+0.50 σ=0.03`` (``index`` counts from 0)."""
    return f"z{index + 1} μ={float(mean):+.2f} {sigma_text(sigma)}"


def dimensions_text(mean: Values, std: Values, limit: int | None = None) -> str:
    """The first ``limit`` dimensions (all by default) on one line, in the readout's order and
    style: ``z1 μ=+0.50 σ=0.01  z2 μ=-1.00 σ=0.03``, then ``…`` if some are left out."""
    parts = [dimension_text(i, m, s) for i, (m, s) in enumerate(zip(mean, std))]
    shown = parts if limit is None else parts[:limit]
    return "  ".join(shown) + ("  …" if len(shown) < len(parts) else "")


def spread_text(sigmas: Values, names: Sequence[str] | None = None) -> str:
    """σ along each axis in order, named as the readout names dimensions:
    ``z1 σ=0.01  z2 σ=0.03`` (``names`` default to z1, z2, …)."""
    labels = list(names) if names is not None else [f"z{i + 1}" for i in range(len(sigmas))]
    return "  ".join(f"{name} {sigma_text(s)}" for name, s in zip(labels, sigmas))


def describe_posterior(posterior: Posterior) -> str:
    """μ and σ per dimension (the first eight, two to a line) and the KL of a batch-of-one
    posterior; for a plain autoencoder, its code and why there is nothing more."""
    mean, std = posterior.mean[0], posterior.std
    if std is None:
        values = "  ".join(f"z{i + 1}={m:+.2f}" for i, m in enumerate(mean[:READOUT_DIMENSIONS]))
        return (f"{values}\nA plain autoencoder encodes a point, not a distribution: "
                "no variance, nothing to sample, no KL pull toward N(0, I).")
    rows = [dimension_text(i, m, s) for i, (m, s) in enumerate(zip(mean, std[0]))]
    if len(rows) > READOUT_DIMENSIONS:
        rows = rows[:READOUT_DIMENSIONS] + [f"… {len(rows) - READOUT_DIMENSIONS} more dimensions"]
    columns = [rows[i] + ("    " + rows[i + 1] if i + 1 < len(rows) else "") for i in range(0, len(rows), 2)]
    return "\n".join(columns) + f"\nKL(q‖N(0,I)) = {float(posterior.kl()[0]):.2f} nats"


# Sample decodings whose pixels vary less than this (mean standard deviation across the
# samples, grey levels in [0, 1]) look alike to the eye.
ALIKE_SPREAD = 0.012
# Dimensions with σ above this are ones the encoder leaves at the prior (unused by the decoder).
UNUSED_SIGMA = 0.5


def _times(ratio: float) -> str:
    return f"{ratio:.0f}" if ratio < 10 else f"{float(f'{ratio:.2g}'):g}"


def samples_note(posterior: Posterior, decodings: np.ndarray) -> str:
    """One line under the samples' decodings: why they look alike (or do not), from how much
    narrower the posterior is than the prior N(0, I) and how much the decodings vary.
    Empty for an autoencoder or without at least two decodings."""
    std = posterior.std
    images = np.asarray(decodings, np.float64)
    if std is None or len(images) < 2:
        return ""
    sigma = std[0]
    used = sigma[sigma < UNUSED_SIGMA]
    where = ""
    if 0 < len(used) < len(sigma):
        where = f" in the {len(used)} dimensions it uses"
    ratio = 1.0 / float(np.exp(np.log(used if len(used) else sigma).mean()))
    narrower = f"σ is {_times(ratio)}× smaller than the prior's{where}"
    if float(images.std(axis=0).mean()) < ALIKE_SPREAD:
        return f"{narrower}: the encoder is sure, so its samples decode alike."
    return f"{narrower}: the encoder is unsure enough that its samples decode differently."
