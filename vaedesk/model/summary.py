"""A model in plain words, made from its card's facts (kind, latent size, β, dense units,
measured active units) and never from its name: the Model menu's line for each model
(:func:`model_summary`) and the few sentences Help → About opens on (:func:`model_description`).
No Qt, no PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["NARROW_HIDDEN", "WIDE_BETA", "model_description", "model_summary"]

#: β at or above this pulls the posteriors visibly wider than a standard VAE's (β = 1).
WIDE_BETA = 2.0
#: Dense layers of at most this many units make a small network.
NARROW_HIDDEN = 128
_DEFAULT_BETA = 1.0  # what a card without training.beta was trained with (TrainConfig's default)


def _facts(card: dict[str, Any]) -> tuple[str, int, float, int | None]:
    """(kind, latent size, β, dense units) of a card; β as trained, 1 when the card does not say."""
    kind = "ae" if card.get("kind") == "ae" else "vae"
    latent = card.get("latent_dim")
    latent_dim = latent if isinstance(latent, int) and not isinstance(latent, bool) and latent > 0 else 0
    training = card.get("training")
    beta = training.get("beta", _DEFAULT_BETA) if isinstance(training, dict) else _DEFAULT_BETA
    beta = float(beta) if isinstance(beta, (int, float)) and not isinstance(beta, bool) else _DEFAULT_BETA
    beta = beta if math.isfinite(beta) else _DEFAULT_BETA
    arch = card.get("architecture")
    hidden = arch.get("hidden") if isinstance(arch, dict) else None
    return kind, latent_dim, beta, hidden if isinstance(hidden, int) and not isinstance(hidden, bool) else None


def _size(latent_dim: int) -> str:
    return f"{latent_dim}-D" if latent_dim else "latent size unknown"


def _shows(kind: str, latent_dim: int, beta: float) -> str:
    """What the student sees with the model, in a few words."""
    if kind == "ae":
        return "N(0, I) draws decode mostly to noise" if latent_dim > 2 else "points, not distributions"
    if beta == 0:
        return "no pull toward the prior: an autoencoder with noise"
    if beta >= WIDE_BETA:
        return "wide posteriors, blurrier digits"
    if beta < 1:
        return "tight posteriors, a less regular latent space"
    return "tight posteriors, sharp digits"


def model_summary(card: dict[str, Any]) -> str:
    """The model in a few words, e.g. "VAE · 2-D · β 1 — tight posteriors, sharp digits"."""
    kind, latent_dim, beta, _hidden = _facts(card)
    weight = "no KL term" if kind == "ae" else f"β {beta:g}"
    return f"{kind.upper()} · {_size(latent_dim)} · {weight} — {_shows(kind, latent_dim, beta)}"


def model_description(card: dict[str, Any]) -> str:
    """Three to five plain sentences on what the model is and what a student can see with it."""
    kind, latent_dim, beta, hidden = _facts(card)
    name = str(card.get("name") or "This model")
    size = f"a {latent_dim}-dimensional latent space" if latent_dim else "a latent space"
    sentences = []
    if kind == "vae":
        sentences.append(f"{name} is a variational autoencoder (VAE) with {size}: its encoder turns a drawing "
                         f"into a distribution q(z|x), a mean and a spread in every dimension, and the code z "
                         f"is sampled from it.")
        if beta == 0:
            sentences.append("It was trained with β = 0, on reconstruction alone: nothing pulls its posteriors "
                             "toward the prior N(0, I), so it behaves like a plain autoencoder with noise.")
        elif beta >= WIDE_BETA:
            sentences.append(f"It was trained with β = {beta:g}, a strong pull of the KL term toward the prior "
                             "N(0, I): its posteriors are wide, so the samples of one drawing decode to visibly "
                             "different digits, and its reconstructions are blurrier than a standard VAE's.")
        elif beta < 1:
            sentences.append(f"It was trained with β = {beta:g}, a weaker pull toward the prior N(0, I) than a "
                             "standard VAE's: its posteriors are tighter and its latent space less regular.")
        else:
            sentences.append(f"It was trained with β = {beta:g}, as a standard VAE: the KL term keeps its "
                             "posteriors near the prior N(0, I) yet tight, so the samples of one drawing decode "
                             "almost alike and draws from N(0, I) decode to digits.")
    else:
        sentences.append(f"{name} is a plain autoencoder (AE) with {size}: its encoder turns a drawing into a "
                         "single point, with no spread and nothing to sample.")
        if latent_dim > 2:
            sentences.append("It was trained on reconstruction alone, with no KL term, so nothing keeps its "
                             "codes near N(0, I): draws from N(0, I), and points between two digits' codes, "
                             "land where it has no codes and decode mostly to noise.")
        else:
            sentences.append("It was trained on reconstruction alone, with no KL term, so nothing keeps its "
                             "codes near N(0, I): they lie on a scale of their own, and N(0, I) is not "
                             "where it puts digits.")
        sentences.append("Compare it with a VAE of the same latent size to see what the KL term buys.")
    if latent_dim == 2:
        sentences.append("With two dimensions the plane is its whole latent space: every point you hover "
                         "decodes.")
    elif latent_dim > 2:
        metrics = card.get("metrics")
        active = metrics.get("active_units") if isinstance(metrics, dict) else None
        used = (f", and {active} of its {latent_dim} dimensions are active"
                if isinstance(active, int) and not isinstance(active, bool) and kind == "vae" else "")
        sentences.append(f"The plane shows a 2-D view of its {latent_dim} dimensions (View → Plane){used}.")
    if hidden is not None and hidden <= NARROW_HIDDEN:
        sentences.append(f"It is a small network: its dense layers have {hidden} units.")
    return " ".join(sentences)
