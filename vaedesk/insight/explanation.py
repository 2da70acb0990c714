"""Why a drawing lands where it does: its loss terms, its likelihood, its neighbours.

No Qt. :func:`explain` is what the app's "What your drawing costs" and "Where it landed"
views show, computed in the model process; it is also the library's way to ask the same
questions of any 28x28 input. Every number is on the footing of ``vaedesk eval``: the
reconstruction term is training's BCE summed over pixels (:func:`vaedesk.model.nets.loss_terms`),
the KL is training's analytic formula (:func:`vaedesk.model.nets.kl_to_prior`), the IWAE estimate
is :mod:`vaedesk.insight.evaluation`'s.

Speed (2 cores): the app asks ``explain(model, x, samples=64, iwae_samples=0)`` as the user
draws and the full report (IWAE with 256 samples) when the pen lifts; ``benchmarks/run.py``
measures both (``explain_median_ms``, ``iwae_256_median_ms``).
"""

from __future__ import annotations

import numbers
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vaedesk.errors import ImageError, VaedeskError
from vaedesk.insight.diagnostics import ACTIVE_UNIT_VARIANCE
from vaedesk.insight.report import DrawingReport  # noqa: F401  (re-exported)
from vaedesk.model.model import Model, _numbers
from vaedesk.model.nets import kl_to_prior, loss_terms

# Posterior samples per drawing at most (each is one decoding: 4,096 take about a second).
MAX_SAMPLES = 4096
MAX_NEIGHBOURS = 100
# Posterior samples per test image for the reference -ELBOs the percentile ranks against:
# enough that a test digit's sampling noise is small beside the spread between digits,
# few enough that the 10,000 of them cost a few seconds once per model.
REFERENCE_SAMPLES = 4


@dataclass(frozen=True)
class ModelReference:
    """What :func:`explain` compares a drawing with, from the model's data set
    (build with :func:`model_reference`)."""

    train_means: np.ndarray  # (N, D) float32 posterior means of the training images
    train_labels: np.ndarray  # (N,) int64 their labels
    test_neg_elbo: np.ndarray  # (M,) float32 each test image's -ELBO, ascending
    inactive_dims: np.ndarray  # (D,) bool: the posterior mean barely varies over the test set
    data_dir: str | None = None  # the data folder (None: the bundled MNIST)
    model_digest: str | None = None  # the weights it was built for (None: a model without a file)


def model_reference(model: Model, data_dir: str | os.PathLike | None = None, limit: int | None = None,
                    folder: Path | None = None) -> ModelReference:
    """The reference for ``model``: training means and labels, test -ELBOs, inactive dimensions.

    ``data_dir`` None means the model's own data set when it is on this machine
    (:func:`vaedesk.data.datasets.trained_on`), else the bundled MNIST. ``limit`` uses the first N
    images of each split (quick tests). The arrays are cached per model and data in the
    user's cache folder (``folder`` overrides it): the first call encodes 70,000 images and
    decodes 40,000 samples (seconds), later ones read the cache.
    """
    from vaedesk.data.datasets import load_split, model_split, trained_on
    from vaedesk.insight.evaluation import neg_elbo_per_image
    from vaedesk.model.encodings import cached_array, cached_means

    # uint8: the pixels are needed only on a cache miss, and the test means' key is the app's.
    if data_dir is None:  # the model's own data and categories
        data_dir = trained_on(model.card)[0]
        train = model_split(model.card, "train", limit=limit, as_uint8=True)
        test = model_split(model.card, "test", limit=limit, as_uint8=True)
    else:
        train = load_split("train", data_dir, limit=limit, as_uint8=True)
        test = load_split("test", data_dir, limit=limit, as_uint8=True)
    train_means = cached_means(model, train.images, folder)
    test_means = cached_means(model, test.images, folder)
    tag = f"neg-elbo-{REFERENCE_SAMPLES}"
    neg_elbo = cached_array(model, test.images, tag, (len(test),),
                            lambda: neg_elbo_per_image(model, test.images, REFERENCE_SAMPLES, seed=0), folder)
    # The test of vaedesk.insight.diagnostics.active_units, per dimension (Burda et al.'s active units):
    # it also holds for an autoencoder, whose KL is zero in every dimension.
    inactive = test_means.var(axis=0, dtype=np.float64) <= ACTIVE_UNIT_VARIANCE
    return ModelReference(train_means, train.labels, np.sort(neg_elbo), inactive,
                          None if data_dir is None else str(data_dir), model.digest)


def _count(value: object, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= int(value) <= high:
        raise VaedeskError(f"{what} must be a whole number in {low}..{high}, got {value!r:.40}")
    return int(value)


def _check_reference(model: Model, reference: object) -> ModelReference:
    if not isinstance(reference, ModelReference):
        raise VaedeskError(f"reference must be a ModelReference (see model_reference), not {type(reference).__name__}")
    means = reference.train_means
    if means.ndim != 2 or means.shape[1] != model.latent_dim or len(means) == 0 or len(reference.test_neg_elbo) == 0:
        raise VaedeskError(f"the reference does not fit {model.name} ({model.latent_dim}-d latent): "
                           f"training means of shape {means.shape}")
    if reference.model_digest is not None and model.digest is not None and reference.model_digest != model.digest:
        raise VaedeskError(f"the reference was built for other weights than {model.name}'s")
    return reference


def explain(model: Model, image: np.ndarray, samples: int = 256, neighbours: int = 8,
            reference: ModelReference | None = None, seed: int = 0, iwae_samples: int | None = None) -> DrawingReport:
    """What ``model`` makes of ``image``, a (28, 28) float model input in [0, 1].

    ``samples`` posterior samples z ~ q(z|x) (seeded by ``seed``) give the reconstruction
    term, the per-pixel error and the decoded mean and spread; the KL is analytic. The IWAE
    estimate uses the first ``iwae_samples`` of the same draws (default: ``samples``; 0
    skips it, the fast path while drawing), so asking for it never changes the other numbers.
    An autoencoder has one code, not a distribution: one "sample", KL 0, no IWAE.

    ``neighbours`` nearest training means (Euclidean, all latent dimensions) and the
    percentile come from ``reference``, :func:`model_reference` (cached) when None.
    """
    x = _numbers(image, np.float32, ImageError, "image")
    if x.shape != (28, 28):
        raise ImageError(f"expected one image of shape (28, 28), got {x.shape}")
    samples = _count(samples, "samples", 1, MAX_SAMPLES)
    iwae_samples = samples if iwae_samples is None else _count(iwae_samples, "iwae_samples", 0, MAX_SAMPLES)
    neighbours = _count(neighbours, "neighbours", 1, MAX_NEIGHBOURS)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise VaedeskError(f"seed must be a whole number of at least 0, got {seed!r:.40}")
    reference = _check_reference(model, model_reference(model) if reference is None else reference)
    if neighbours > len(reference.train_means):
        raise VaedeskError(f"neighbours must be at most the {len(reference.train_means)} training images, "
                           f"got {neighbours}")

    from vaedesk.insight.evaluation import decode_logits, iwae_bound, log_weights

    posterior = model.encode(x)  # checks the values: finite, in [0, 1]
    x = np.clip(x, 0.0, 1.0)
    variational = posterior.logvar is not None
    draws = max(samples, iwae_samples) if variational else 1
    z = torch.from_numpy(posterior.sample(draws, np.random.default_rng(seed))[0])  # (draws, D)
    with torch.inference_mode():
        logits = decode_logits(model, z)
        target = torch.from_numpy(x).expand_as(logits)
        # loss_terms sums over each image's pixels: handed every pixel as a 1x1 image, it gives
        # the per-pixel terms of training's own formula. (Its KL is taken analytically below.)
        bce, _ = loss_terms(logits.reshape(-1, 1, 1), target.reshape(-1, 1, 1), None, None)
        bce = bce.double().view(draws, 28, 28)
        pixel_error = bce[:samples].mean(0).numpy()
        probs = torch.sigmoid(logits[:samples]).double()
        decoded_mean = probs.mean(0).numpy()
        decoded_std = probs.std(0, correction=0).numpy() if variational else np.zeros((28, 28))
        if variational:
            mean = torch.from_numpy(posterior.mean).double()
            logvar = torch.from_numpy(posterior.logvar).double()
            # Each coordinate as its own 1-d Gaussian: kl_to_prior's sum is then that term alone.
            kl_per_dim = kl_to_prior(mean.reshape(-1, 1), logvar.reshape(-1, 1)).numpy()
        else:
            kl_per_dim = np.zeros(model.latent_dim)
        iwae = None
        if variational and iwae_samples:
            log_w = log_weights(bce[:iwae_samples].sum((1, 2)), z[:iwae_samples].double(), mean, logvar)
            iwae = float(iwae_bound(log_w))
    recon = float(pixel_error.sum())
    kl = float(kl_per_dim.sum())
    neg_elbo = recon + kl

    distances = np.sqrt(((reference.train_means - posterior.mean[0]) ** 2).sum(1, dtype=np.float64))
    nearest = np.argpartition(distances, neighbours - 1)[:neighbours]
    nearest = nearest[np.lexsort((nearest, distances[nearest]))]  # nearest first, ties by index
    below = np.searchsorted(reference.test_neg_elbo, neg_elbo, side="left")
    return DrawingReport(
        recon_nats=recon, kl_nats=kl, kl_per_dim=kl_per_dim, neg_elbo_nats=neg_elbo, iwae_nats=iwae,
        percentile=100.0 * below / len(reference.test_neg_elbo), pixel_error=pixel_error,
        decoded_mean=decoded_mean, decoded_std=decoded_std, neighbours=nearest,
        neighbour_labels=reference.train_labels[nearest], inactive_dims=reference.inactive_dims.copy(),
        neighbour_distances=distances[nearest],
    )
