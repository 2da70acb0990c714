"""Plain-words diagnoses of a training run: posterior collapse, a KL term switched off,
overfitting and divergence. Shared by the training studio and anything that reads a card's
history; no Qt, no torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# A latent unit is "active" when its posterior mean varies across the data (Burda et al.,
# 2016): Var_x E[z_i | x] > 0.01. An inactive unit carries no information about the input.
ACTIVE_UNIT_VARIANCE = 0.01
# Mean KL per image below which the posterior has practically become the prior.
COLLAPSED_KL = 0.1
# Test loss this much above its best for two epochs in a row, while the training loss keeps
# falling, counts as overfitting.
OVERFIT_MARGIN = 0.5
# Weights are judged once they have seen every training image: a network as it was made (or
# a few steps after) has every posterior at the prior, which is no sign of a collapse.
JUDGED_AFTER_EPOCHS = 1.0


@dataclass(frozen=True)
class Diagnosis:
    level: str  # "info", "warning" or "error"
    title: str
    text: str


@dataclass(frozen=True)
class Measured:
    """What the test set showed of a run's weights at one point (a training studio snapshot)."""

    epochs: float  # the training behind these weights, in epochs
    active_units: int
    kl: float | None  # mean KL to the prior per test image, nats; None for an autoencoder


def active_units(means: np.ndarray) -> int:
    """How many latent dimensions' posterior means vary across the images (N, D)."""
    means = np.asarray(means, dtype=np.float64)
    if means.ndim != 2 or len(means) < 2:
        return 0
    return int((means.var(axis=0) > ACTIVE_UNIT_VARIANCE).sum())


def diagnose(kind: str, beta: float, latent_dim: int, epochs: Sequence[dict[str, float]],
             weights: Measured | None = None) -> list[Diagnosis]:
    """Diagnoses for a run so far. ``epochs`` are the per-epoch records of a card's history
    (``train_recon``, ``train_kl``, ``test_kl``, ``test_neg_elbo``, ...); ``weights`` what the
    latest snapshot measured, or None to judge the weights of the last record by its KL.

    What the weights show (a collapsed KL term, inactive units) is said only of weights that
    have trained :data:`JUDGED_AFTER_EPOCHS` or more, and only when β > 0: with β = 0 the KL
    term has no weight, so neither would say anything about it (that run has its own
    diagnosis). An autoencoder has no KL term at all."""
    found: list[Diagnosis] = []
    vae = kind == "vae"
    if vae and beta == 0:
        found.append(Diagnosis(
            "warning", "β = 0: no pull toward the prior",
            "The KL term has no weight, so nothing pulls the posteriors toward N(0, I): the encoder "
            "behaves like a plain autoencoder's, the latent space can spread out and leave gaps, and "
            "sampling from the prior gives poor digits."))
    kl, active = _judged(epochs, weights)
    if vae and beta > 0 and kl is not None and kl < COLLAPSED_KL:
        found.append(Diagnosis(
            "warning", "Posterior collapse",
            f"The KL term is {kl:.3f} nats: the encoder's posteriors have become the prior, so the "
            "latent code says almost nothing about the drawing and the decoder draws an average digit. "
            "Try a smaller β or fewer epochs at high β (KL annealing)."))
    elif (vae and beta > 0 and active is not None and active < latent_dim
          and (latent_dim <= 2 or active <= latent_dim // 2)):
        found.append(Diagnosis("warning", "Inactive latent units", _inactive_units(active, latent_dim, beta)))
    test = [e["test_neg_elbo"] for e in epochs if "test_neg_elbo" in e]
    train = [e["train_recon"] + beta * e.get("train_kl", 0.0) for e in epochs if "train_recon" in e]
    if len(test) >= 3 and len(train) >= 3:
        best = min(test[:-2])
        rising = test[-1] > best + OVERFIT_MARGIN and test[-2] > best + OVERFIT_MARGIN
        if rising and train[-1] < train[-3]:
            found.append(Diagnosis(
                "warning", "Overfitting",
                f"The test loss has risen from its best {best:.1f} to {test[-1]:.1f} nats over the last "
                "epochs while the training loss kept falling: the model is memorising its training "
                "images. Use more data (no --limit), augmentation, or fewer epochs."))
    return found


def _judged(epochs: Sequence[dict[str, float]], weights: Measured | None) -> tuple[float | None, int | None]:
    """The KL and the active units of the latest weights that have trained long enough to be
    judged; None for what is not known of them."""
    if weights is not None:
        if weights.epochs < JUDGED_AFTER_EPOCHS:
            return None, None
        return weights.kl, weights.active_units
    if len(epochs) < JUDGED_AFTER_EPOCHS:
        return None, None
    last = epochs[-1]
    return last.get("test_kl", last.get("train_kl")), None


def _inactive_units(active: int, latent_dim: int, beta: float) -> str:
    """What inactive units mean, with the cause that fits the KL weight."""
    seen = (f"Only {active} of {latent_dim} latent dimensions carry information (the others sit at the "
            "prior for every image). ")
    if beta > 1:
        return seen + (f"With β = {beta:g}, above 1, the KL term pulls hard enough toward the prior to "
                       "switch units off: try a smaller β.")
    return seen + (f"β = {beta:g} is no strong pull: the model has not yet found a use for these units that "
                   "is worth what each costs in KL. More epochs often bring them in; if they stay off, "
                   "fewer latent dimensions describe the data as well.")


def divergence(message: str) -> Diagnosis:
    return Diagnosis("error", "Training diverged",
                     f"{message}. The loss became NaN or infinite, so training stopped safely; the last "
                     "good checkpoint (the end of the last complete epoch) is kept.")
