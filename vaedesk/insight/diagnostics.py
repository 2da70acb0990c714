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


@dataclass(frozen=True)
class Diagnosis:
    level: str  # "info", "warning" or "error"
    title: str
    text: str


def active_units(means: np.ndarray) -> int:
    """How many latent dimensions' posterior means vary across the images (N, D)."""
    means = np.asarray(means, dtype=np.float64)
    if means.ndim != 2 or len(means) < 2:
        return 0
    return int((means.var(axis=0) > ACTIVE_UNIT_VARIANCE).sum())


def diagnose(kind: str, beta: float, latent_dim: int, epochs: Sequence[dict[str, float]],
             active: int | None = None, recent_kl: float | None = None) -> list[Diagnosis]:
    """Diagnoses for a run so far. ``epochs`` are the per-epoch records of a card's history
    (``train_recon``, ``train_kl``, ``test_neg_elbo``, ...), ``active`` the active units of
    the latest snapshot, ``recent_kl`` the smoothed KL of the latest steps."""
    found: list[Diagnosis] = []
    if kind == "vae" and beta == 0:
        found.append(Diagnosis(
            "warning", "β = 0: no pull toward the prior",
            "The KL term has no weight, so nothing pulls the posteriors toward N(0, I): the encoder "
            "behaves like a plain autoencoder's, the latent space can spread out and leave gaps, and "
            "sampling from the prior gives poor digits."))
    kl = recent_kl if recent_kl is not None else (epochs[-1].get("train_kl") if epochs else None)
    if kind == "vae" and beta > 0 and kl is not None and kl < COLLAPSED_KL:
        found.append(Diagnosis(
            "warning", "Posterior collapse",
            f"The KL term is {kl:.3f} nats: the encoder's posteriors have become the prior, so the "
            "latent code says almost nothing about the drawing and the decoder draws an average digit. "
            "Try a smaller β or fewer epochs at high β (KL annealing)."))
    elif (kind == "vae" and active is not None and active < latent_dim
          and (latent_dim <= 2 or active <= latent_dim // 2)):
        found.append(Diagnosis(
            "warning", "Inactive latent units",
            f"Only {active} of {latent_dim} latent dimensions carry information (the others sit at the "
            "prior for every image). With a large β the KL term switches units off."))
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


def divergence(message: str) -> Diagnosis:
    return Diagnosis("error", "Training diverged",
                     f"{message}. The loss became NaN or infinite, so training stopped safely; the last "
                     "good checkpoint (the end of the last complete epoch) is kept.")
