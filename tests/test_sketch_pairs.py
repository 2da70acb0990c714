"""Synthetic drawings paired with the training digit each resembles most."""

from __future__ import annotations

import numpy as np
import pytest

from vaedesk.data import sketch_pairs
from vaedesk.data.sketches import draw_digit, synthetic_drawings


def test_each_drawing_is_paired_with_the_nearest_digit_of_its_class():
    rng = np.random.default_rng(0)
    digits = rng.random((30, 28, 28)).astype(np.float32)
    digit_labels = np.repeat(np.arange(3), 10)
    # Drawings made as small perturbations of known digits; one of a class with no digits.
    sources = np.array([4, 17, 25, 11])
    drawings = digits[sources] + 0.01 * rng.standard_normal((4, 28, 28)).astype(np.float32)
    drawing_labels = np.array([0, 1, 2, 1])
    pairs = sketch_pairs.pair_with_digits(drawings, drawing_labels, digits, digit_labels)
    assert pairs.tolist() == sources.tolist()
    # A drawing is only ever paired within its class, even when another class is nearer.
    pairs = sketch_pairs.pair_with_digits(digits[[4]], np.array([2]), digits, digit_labels)
    assert digit_labels[pairs[0]] == 2
    missing = sketch_pairs.pair_with_digits(digits[:2], np.array([5, 0]), digits, digit_labels)
    assert missing.tolist() == [-1, 1]


def test_pool_is_rendered_once_and_a_damaged_cache_is_redrawn(monkeypatch, tmp_path):
    monkeypatch.setenv("VAEDESK_CACHE", str(tmp_path))
    images, labels = sketch_pairs.drawn_pool(3, seed=5)
    assert images.shape == (30, 28, 28) and images.dtype == np.float32
    assert labels.tolist() == [d for d in range(10) for _ in range(3)]
    cached = list((tmp_path / "sketches").iterdir())
    assert len(cached) == 1 and cached[0].suffix == ".npy"
    monkeypatch.setattr(sketch_pairs, "synthetic_drawings", lambda *a, **k: pytest.fail("drawn again"))
    np.testing.assert_array_equal(sketch_pairs.drawn_pool(3, seed=5)[0], images)
    cached[0].write_bytes(b"damaged")
    monkeypatch.undo()
    np.testing.assert_array_equal(sketch_pairs.drawn_pool(3, seed=5)[0], images)


def test_pool_size_follows_the_training_set():
    assert sketch_pairs.pool_size(60000) == sketch_pairs.MAX_PER_DIGIT
    assert sketch_pairs.pool_size(300) == sketch_pairs.MIN_PER_DIGIT
    assert sketch_pairs.pool_size(3000) == 100


def test_training_pairs_drawings_only_with_real_digits_of_their_class():
    from vaedesk.data.datasets import load_split
    from vaedesk.data.penstyle import pen_style

    split = load_split("train", limit=200)
    keep = split.labels != 7  # a training set without 7s: no drawn 7 can be paired
    images, labels = split.images[keep], split.labels[keep]
    drawings, targets = sketch_pairs.sketch_pairs(images, labels, pen_style(images))
    assert len(drawings) == len(targets) == 9 * sketch_pairs.MIN_PER_DIGIT
    assert 7 not in set(labels[targets].tolist())
    assert np.bincount(labels[targets], minlength=10)[7] == 0


def _widest_gap(strokes) -> float:
    return max(float(np.hypot(*np.diff(s, axis=0).T).max()) for s in strokes if len(s) > 1)


def test_variety_adds_quick_hands_and_stays_on_the_canvas():
    rng = np.random.default_rng(1)
    gaps = []
    for digit in range(10):
        for _ in range(12):
            strokes = draw_digit(digit, rng, size=280.0, variety=True)
            for s in strokes:
                assert s.ndim == 2 and s.shape[1] == 2 and np.isfinite(s).all()
                assert s.min() >= 0.0 and s.max() <= 280.0
            gaps.append(_widest_gap(strokes))
    # Quick hands report few mouse events: points far apart, which the plain family never has.
    assert 0.15 < np.mean(np.asarray(gaps) > 8.0) < 0.5
    plain_rng = np.random.default_rng(1)
    assert max(_widest_gap(draw_digit(d, plain_rng)) for d in range(10) for _ in range(12)) < 8.0
    a, _ = synthetic_drawings(2, seed=4, variety=True)
    b, _ = synthetic_drawings(2, seed=4, variety=True)
    assert all(np.array_equal(s, t) for x, y in zip(a, b, strict=True) for s, t in zip(x, y, strict=True))
