"""Measured model quality: the numbers in the model cards and `vaedesk eval`."""

from __future__ import annotations

import numbers
import os

import numpy as np
import torch

from .data import load_split
from .errors import VaedeskError
from .model import CHUNK, Model
from .training import evaluate_loss

# A latent unit is "active" when its posterior mean varies across the data (Burda et al.).
ACTIVE_UNIT_THRESHOLD = 0.01
# Synthetic drawings per digit at most (the cards use 50): each costs a rendering and memory.
MAX_DRAWINGS = 1000


def knn_accuracy(
    train_points: np.ndarray, train_labels: np.ndarray, query_points: np.ndarray, query_labels: np.ndarray, k: int = 5
) -> float:
    """Accuracy of a k-nearest-neighbour majority vote (ties go to the nearest neighbour's class)."""
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
    return float(np.mean(np.asarray(predictions) == query_labels))


def evaluate(model: Model, data_dir: str | os.PathLike | None = None, seed: int = 0, drawings: int = 50) -> dict[str, float]:
    """Test-set loss terms, active units, 5-NN accuracy of test means and of pen-stroke drawings.

    ``drawings`` synthetic mouse-style drawings per digit are encoded after
    :func:`vaedesk.preprocess_strokes`, as the app does; only meaningful for MNIST-like data.
    """
    if isinstance(drawings, bool) or not isinstance(drawings, numbers.Integral) or not 0 <= drawings <= MAX_DRAWINGS:
        raise VaedeskError(f"drawings must be a whole number in 0..{MAX_DRAWINGS}, got {drawings!r:.40}")
    train_split = load_split("train", data_dir, as_uint8=True)  # scaled slice by slice below
    test_split = load_split("test", data_dir)
    metrics = evaluate_loss(model.net, torch.from_numpy(test_split.images), seed=seed)
    if model.kind == "ae":
        metrics = {"recon": metrics["recon"]}
    # Slices of a multiple of the model's own batch (CHUNK), so that every image is encoded
    # in the same batch as by one call, to the last bit: the cards' numbers stay reproducible.
    step = 4 * CHUNK
    train_means = np.concatenate([model.encode(train_split.images[i : i + step] / np.float32(255)).mean
                                  for i in range(0, len(train_split.images), step)])
    test_means = model.encode(test_split.images).mean
    metrics["active_units"] = int((test_means.var(axis=0) > ACTIVE_UNIT_THRESHOLD).sum())
    metrics["knn5_test"] = knn_accuracy(train_means, train_split.labels, test_means, test_split.labels)
    if drawings:
        from .preprocess import preprocess_strokes
        from .sketches import synthetic_drawings

        strokes, labels = synthetic_drawings(drawings, seed=seed)
        inputs = np.stack([preprocess_strokes(s) for s in strokes])
        drawn_means = model.encode(inputs).mean
        metrics["knn5_drawings"] = knn_accuracy(train_means, train_split.labels, drawn_means, labels)
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()}
