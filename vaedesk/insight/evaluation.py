"""Measured model quality: the test-set loss training reports after every epoch, the numbers
in the model cards and `vaedesk eval`.

Also the likelihood estimates :func:`vaedesk.explain` shares: the importance weights of
posterior samples and the IWAE bound of Burda et al. (2015), "Importance Weighted
Autoencoders": -log p(x) ~= -log mean_k p(x|z_k) p(z_k) / q(z_k|x), z_k ~ q(z|x), which is
never above the -ELBO for the same samples and approaches -log p(x) as K grows.
"""

from __future__ import annotations

import functools
import math
import numbers
import os

import numpy as np
import torch

from vaedesk.data.datasets import load_split, trained_categories
from vaedesk.errors import VaedeskError
from vaedesk.insight.diagnostics import active_units
from vaedesk.model.model import CHUNK, Model
from vaedesk.model.nets import AutoEncoder, loss_terms

# Synthetic drawings per digit at most (the cards use 50): each costs a rendering and memory.
MAX_DRAWINGS = 1000
# Importance samples per image at most: 5,000 decodings of one image take about a second.
MAX_IWAE_SAMPLES = 5000
# Decodings per step of iwae_nll: bounds its memory (logits and BCE, about 25 MB).
IWAE_DECODES_PER_STEP = 4096


def evaluate_loss(net: AutoEncoder, images: torch.Tensor, seed: int = 0, batch: int = 2000) -> dict[str, float]:
    """Test-set loss terms with one posterior sample per image (seeded), mean nats per image.

    Training measures every epoch with it, and :func:`evaluate` the saved model. The samples
    depend on ``batch`` (the noise is drawn batch by batch): the model cards' numbers were
    measured with 2,000, which ``vaedesk eval`` must keep to reproduce them.
    """
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    recon_sum = kl_sum = 0.0
    was_training = net.training
    net.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(images), batch):
                xb = images[start : start + batch]
                logits, mean, logvar = net(xb)
                recon, kl = loss_terms(logits, xb, mean, logvar)
                recon_sum += recon.sum().item()
                kl_sum += kl.sum().item()
    finally:
        torch.random.set_rng_state(state)
        net.train(was_training)
    n = len(images)
    return {"recon": recon_sum / n, "kl": kl_sum / n, "neg_elbo": (recon_sum + kl_sum) / n}


def knn_predict(train_points: np.ndarray, train_labels: np.ndarray, query_points: np.ndarray, k: int = 5) -> np.ndarray:
    """The class of each query by a k-nearest-neighbour majority vote (ties go to the nearest
    neighbour's class)."""
    reference = torch.from_numpy(np.ascontiguousarray(train_points, dtype=np.float32))
    predictions = []
    # 250 queries at a time: their distances to 60,000 references take 60 MB, not 240.
    for start in range(0, len(query_points), 250):
        query = torch.from_numpy(np.ascontiguousarray(query_points[start : start + 250], dtype=np.float32))
        nearest = torch.cdist(query, reference).topk(k, largest=False).indices.numpy()
        votes = train_labels[nearest]  # (q, k), nearest first
        for row in votes:
            counts = np.bincount(row, minlength=10)
            best = np.flatnonzero(counts == counts.max())
            predictions.append(next(label for label in row if label in best))
    return np.asarray(predictions, dtype=np.int64)


def knn_accuracy(
    train_points: np.ndarray, train_labels: np.ndarray, query_points: np.ndarray, query_labels: np.ndarray, k: int = 5
) -> float:
    """Accuracy of :func:`knn_predict`."""
    return float(np.mean(knn_predict(train_points, train_labels, query_points, k) == query_labels))


def _per_class(predictions: np.ndarray, labels: np.ndarray) -> list[float | None]:
    """Accuracy for each class 0-9 (None for a class with no examples)."""
    return [round(float(np.mean(predictions[labels == c] == c)), 4) if (labels == c).any() else None
            for c in range(10)]


def evaluate(model: Model, data_dir: str | os.PathLike | None = None, seed: int = 0, drawings: int = 50,
             iwae: int = 0, heldout: bool = False, per_digit: bool = False) -> dict:
    """Test-set loss terms, active units, 5-NN accuracy of test means and of drawn digits.

    ``drawings`` synthetic mouse-style drawings per digit (:mod:`vaedesk.data.sketches`, the
    family training draws from) are encoded after :func:`vaedesk.preprocess_strokes`, as
    the app does: ``knn5_drawings``. ``heldout`` adds ``knn5_heldout``, the same vote for
    the held-out drawn digits (:mod:`vaedesk.data.drawn_digits`), which training never sees: the
    measure of how people's drawings land. Both only mean something for digit data.
    ``iwae`` > 0 adds ``iwae_{K}``, :func:`iwae_nll` with that many samples (None for an
    autoencoder, which has no posterior to sample). ``per_digit`` adds ``per_digit``: for
    ``test``, ``drawings`` and ``heldout``, the 5-NN accuracy of each digit 0-9.
    """
    if isinstance(drawings, bool) or not isinstance(drawings, numbers.Integral) or not 0 <= drawings <= MAX_DRAWINGS:
        raise VaedeskError(f"drawings must be a whole number in 0..{MAX_DRAWINGS}, got {drawings!r:.40}")
    if iwae:
        _check_count(iwae, "iwae samples", 1, MAX_IWAE_SAMPLES)
    # A model trained on some categories of a folder is measured on those (its card names them).
    categories = trained_categories(model.card) if data_dir is not None else None
    train_split = load_split("train", data_dir, as_uint8=True, categories=categories)  # scaled slice by slice below
    test_split = load_split("test", data_dir, categories=categories)
    metrics = evaluate_loss(model.net, torch.from_numpy(test_split.images), seed=seed)
    if model.kind == "ae":
        metrics = {"recon": metrics["recon"]}
    if iwae:
        metrics[f"iwae_{iwae}"] = None if model.kind == "ae" else iwae_nll(model, test_split.images, iwae, seed=seed)
    # Slices of a multiple of the model's own batch (CHUNK), so that every image is encoded
    # in the same batch as by one call, to the last bit: the cards' numbers stay reproducible.
    step = 4 * CHUNK
    train_means = np.concatenate([model.encode(train_split.images[i : i + step] / np.float32(255)).mean
                                  for i in range(0, len(train_split.images), step)])
    test_means = model.encode(test_split.images).mean
    metrics["active_units"] = active_units(test_means)
    classes: dict[str, list[float | None]] = {}

    def vote(name: str, query_means: np.ndarray, labels: np.ndarray) -> float:
        predicted = knn_predict(train_means, train_split.labels, query_means)
        classes[name] = _per_class(predicted, labels)
        return float(np.mean(predicted == labels))

    metrics["knn5_test"] = vote("test", test_means, test_split.labels)
    if drawings:
        inputs, labels = drawing_inputs(drawings, seed)
        metrics["knn5_drawings"] = vote("drawings", model.encode(inputs).mean, labels)
    if heldout:
        inputs, labels = drawing_inputs(0, 0, heldout=True)
        metrics["knn5_heldout"] = vote("heldout", model.encode(inputs).mean, labels)
    metrics = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()}
    if per_digit:
        metrics["per_digit"] = classes
    return metrics


@functools.lru_cache(maxsize=4)
def drawing_inputs(per_digit: int, seed: int, heldout: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The model inputs and labels of the synthetic drawings (``per_digit`` of each digit,
    from ``seed``) or of the held-out drawn digits, through :func:`vaedesk.preprocess_strokes`
    as the app passes a drawing. The same for every model, so made once per process
    (read-only): every training run's evaluation asks for them."""
    from vaedesk.data.strokes import preprocess_strokes

    if heldout:
        from vaedesk.data.drawn_digits import load_drawn_digits

        held = load_drawn_digits()
        strokes, labels = held.strokes, np.asarray(held.labels)
    else:
        from vaedesk.data.sketches import synthetic_drawings

        strokes, labels = synthetic_drawings(per_digit, seed=seed)
        labels = np.asarray(labels)
    inputs = np.stack([preprocess_strokes(s) for s in strokes])
    for array in (inputs, labels):
        array.setflags(write=False)
    return inputs, labels


def _check_count(value: object, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= int(value) <= high:
        raise VaedeskError(f"{what} must be a whole number in {low}..{high}, got {value!r:.40}")
    return int(value)


def decode_logits(model: Model, z: torch.Tensor) -> torch.Tensor:
    """The decoder's logits for latent points (M, D), in chunks of the model's batch."""
    with torch.inference_mode():
        return torch.cat([model.net.decoder(z[i : i + CHUNK]) for i in range(0, max(len(z), 1), CHUNK)])


def log_weights(recon: torch.Tensor, z: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log p(x|z) + log p(z) - log q(z|x) of each posterior sample, in nats.

    ``recon`` (..., K) is -log p(x|z) from :func:`vaedesk.model.nets.loss_terms`; ``z`` (..., K, D)
    the samples of q(z|x) = N(mean, exp(logvar)), whose ``mean`` and ``logvar`` are (..., 1, D).
    """
    # log N(z; 0, I) - log N(z; mean, diag exp(logvar)): the log(2 pi) terms cancel.
    log_prior_over_q = -0.5 * (z.pow(2) - (z - mean).pow(2) * torch.exp(-logvar) - logvar).sum(-1)
    return -recon + log_prior_over_q


def iwae_bound(log_w: torch.Tensor) -> torch.Tensor:
    """-log mean_k exp(log_w) over the last axis: logsumexp keeps it finite when every weight
    underflows (a log-weight of -600 nats is exp(-600) = 0 in float64)."""
    return -(torch.logsumexp(log_w, -1) - math.log(log_w.shape[-1]))


def iwae_nll(model: Model, images: np.ndarray, k: int, seed: int = 0, batch: int | None = None) -> float:
    """The IWAE estimate of -log p(x) with ``k`` samples per image, mean nats per image.

    ``images`` (N, 28, 28) float in [0, 1]. Seeded; the samples depend on ``batch`` (images
    per step, default as many as make :data:`IWAE_DECODES_PER_STEP` decodings).
    """
    if model.kind != "vae":
        raise VaedeskError(f"{model.name}: an autoencoder has no posterior to sample, so no IWAE estimate")
    k = _check_count(k, "iwae samples", 1, MAX_IWAE_SAMPLES)
    batch = max(1, IWAE_DECODES_PER_STEP // k) if batch is None else _check_count(batch, "batch", 1, 100_000)
    if len(images) == 0:
        raise VaedeskError("no images to estimate the likelihood of")
    rng = np.random.default_rng(seed)
    total = 0.0
    for start in range(0, len(images), batch):
        x = images[start : start + batch]
        posterior = model.encode(x)
        n, d = posterior.mean.shape
        z = torch.from_numpy(posterior.sample(k, rng))  # (n, k, D)
        logits = decode_logits(model, z.reshape(-1, d))
        target = torch.from_numpy(np.asarray(x, np.float32)).clip(0, 1).repeat_interleave(k, 0)
        recon, _ = loss_terms(logits, target, None, None)  # -log p(x|z); the rest is in log_weights
        log_w = log_weights(recon.double().view(n, k), z.double(), torch.from_numpy(posterior.mean).double()[:, None],
                            torch.from_numpy(posterior.logvar).double()[:, None])
        total += iwae_bound(log_w).sum().item()
    return total / len(images)


def neg_elbo_per_image(model: Model, images: np.ndarray, samples: int = 4, seed: int = 0) -> np.ndarray:
    """Each image's -ELBO (nats): the reconstruction term averaged over ``samples`` posterior
    samples plus the analytic KL, as :func:`vaedesk.explain` computes it for a drawing. An
    autoencoder's is its reconstruction term at its one code.

    ``images`` (N, 28, 28) float in [0, 1] or the data file's uint8 bytes.
    """
    samples = 1 if model.kind == "ae" else _check_count(samples, "samples", 1, MAX_IWAE_SAMPLES)
    rng = np.random.default_rng(seed)
    out = []
    step = max(1, IWAE_DECODES_PER_STEP // samples)
    for start in range(0, len(images), step):
        x = images[start : start + step]
        x = x / np.float32(255) if x.dtype == np.uint8 else np.asarray(x, np.float32)
        posterior = model.encode(x)
        n, d = posterior.mean.shape
        logits = decode_logits(model, torch.from_numpy(posterior.sample(samples, rng)).reshape(-1, d))
        # the sampled reconstruction term only: the KL is the posterior's analytic one
        recon, _ = loss_terms(logits, torch.from_numpy(x).clip(0, 1).repeat_interleave(samples, 0), None, None)
        out.append(recon.double().view(n, samples).mean(1).numpy() + posterior.kl())
    return np.concatenate(out)
