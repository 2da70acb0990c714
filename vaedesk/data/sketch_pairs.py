"""Synthetic drawings paired with real training digits: how the encoder learns people's drawings.

The app encodes a drawing after :func:`vaedesk.preprocess_strokes`; MNIST's digits were
written with pens of varying width and pressure and in shapes a mouse rarely makes. Training
on drawings from :mod:`vaedesk.data.sketches` (with ``variety=True``) closes that gap, but a
drawing has no clean MNIST digit to reconstruct, and the decoder must only ever be asked for
real digits. So each drawing is paired with the training digit *of its class* that looks most
like it: the nearest in pixels to the digit's uniform-pen version (:mod:`vaedesk.data.penstyle`),
which is drawn the way :func:`preprocess_strokes` draws. The encoder sees the drawing, the
decoder is asked for that digit: the denoising criterion of ``training.augment``, with the
drawing as the distortion.

The drawings depend only on the pool's size and seed, so they are rendered once and kept in
the user's cache folder; the pairing (about a second) is redone for each data set.
"""

from __future__ import annotations

import numpy as np
import torch

from vaedesk.data.penstyle import read_cached_images
from vaedesk.data.sketches import synthetic_drawings
from vaedesk.data.strokes import preprocess_strokes
from vaedesk.support.atomic import atomic_path
from vaedesk.support.paths import user_cache_dir

# Changing the generator (vaedesk.data.sketches with variety=True) must change this, so that
# cached drawings of an older generator are never mistaken for the current ones.
GENERATOR_VERSION = 2
# Drawings per digit at most; a smaller training set gets a pool a third of its size.
MAX_PER_DIGIT = 2000
MIN_PER_DIGIT = 20
POOL_SEED = 14  # fixed, so every run with the same data shares one cached pool


def pool_size(train_count: int) -> int:
    """Drawings per digit for a training set of ``train_count`` images."""
    return int(min(MAX_PER_DIGIT, max(MIN_PER_DIGIT, train_count // 30)))


def drawn_pool(per_digit: int, seed: int = POOL_SEED) -> tuple[np.ndarray, np.ndarray]:
    """``per_digit`` varied drawings of each digit, preprocessed as the app does: float32
    (10 * per_digit, 28, 28) images and their labels, from the cache when there."""
    labels = np.repeat(np.arange(10, dtype=np.int64), per_digit)
    path = user_cache_dir() / "sketches" / f"v{GENERATOR_VERSION}-seed{seed}-{per_digit}.npy"
    cached = read_cached_images(path, (10 * per_digit, 28, 28))
    if cached is not None:
        return cached, labels
    strokes, _ = synthetic_drawings(per_digit, seed=seed, variety=True)
    images = np.stack([preprocess_strokes(s) for s in strokes]).astype(np.float32)
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.save(f, images, allow_pickle=False)
    except OSError:
        pass  # an unwritable cache only costs the next run its time
    return images, labels


def pair_with_digits(drawings: np.ndarray, drawing_labels: np.ndarray, digits: np.ndarray,
                     digit_labels: np.ndarray) -> np.ndarray:
    """For each drawing, the index in ``digits`` of the nearest image (squared pixel
    distance) of the same label; -1 where the digits have no image of that label."""
    pairs = np.full(len(drawings), -1, dtype=np.int64)
    flat_digits = torch.from_numpy(np.ascontiguousarray(digits.reshape(len(digits), -1), dtype=np.float32))
    flat_drawings = torch.from_numpy(np.ascontiguousarray(drawings.reshape(len(drawings), -1), dtype=np.float32))
    for label in np.unique(drawing_labels):
        candidates = np.flatnonzero(digit_labels == label)
        if candidates.size == 0:
            continue
        reference = flat_digits[candidates]
        norms = (reference * reference).sum(1)
        members = np.flatnonzero(drawing_labels == label)
        for rows in np.array_split(members, max(1, len(members) // 500)):
            # argmin |d - r|^2 = argmax 2 d.r - |r|^2, in blocks of about 500 drawings.
            score = 2.0 * flat_drawings[rows] @ reference.T - norms
            pairs[rows] = candidates[score.argmax(1).numpy()]
    return pairs


def sketch_pairs(train_images: np.ndarray, train_labels: np.ndarray,
                 pen_images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The training pool: preprocessed drawings (M, 28, 28) and, for each, the index of its
    training digit. Drawings of a class the training set lacks are left out."""
    drawings, labels = drawn_pool(pool_size(len(train_images)))
    targets = pair_with_digits(drawings, labels, pen_images, train_labels)
    keep = targets >= 0
    return drawings[keep], targets[keep]
