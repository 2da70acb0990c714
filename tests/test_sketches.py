"""Tests for vaedesk.data.sketches: synthetic mouse drawings of digits."""

from __future__ import annotations

import numpy as np
import pytest

from vaedesk.data.mnist_frame import MNIST_CENTRE
from vaedesk.data.sketches import draw_digit, synthetic_drawings
from vaedesk.data.strokes import preprocess_strokes


def test_deterministic_for_a_seed() -> None:
    a, la = synthetic_drawings(2, seed=7)
    b, lb = synthetic_drawings(2, seed=7)
    c, _ = synthetic_drawings(2, seed=8)
    assert np.array_equal(la, lb)
    assert all(len(x) == len(y) and all(np.array_equal(s, t) for s, t in zip(x, y)) for x, y in zip(a, b))
    assert any(not np.array_equal(x[0], y[0]) for x, y in zip(a, c))


def test_labels_and_order() -> None:
    drawings, labels = synthetic_drawings(3, seed=0)
    assert len(drawings) == 30
    assert labels.dtype.kind == "i"
    assert labels.tolist() == [d for d in range(10) for _ in range(3)]
    empty, no_labels = synthetic_drawings(0)
    assert empty == [] and no_labels.shape == (0,)


@pytest.mark.parametrize("size", [280.0, 100.0])
@pytest.mark.parametrize("digit", range(10))
def test_strokes_valid_and_inside_canvas(digit: int, size: float) -> None:
    rng = np.random.default_rng(digit)
    for _ in range(8):
        strokes = draw_digit(digit, rng, size=size)
        assert isinstance(strokes, list) and 1 <= len(strokes) <= 3
        for s in strokes:
            assert s.ndim == 2 and s.shape[1] == 2 and len(s) >= 2
            assert s.dtype == np.float64 and np.isfinite(s).all()
            assert s.min() >= 0.0 and s.max() <= size
            # Mouse-like density: consecutive points at most a few pixels apart.
            assert np.hypot(*np.diff(s, axis=0).T).max() < 8.0
        pts = np.concatenate(strokes)
        side = float((pts.max(axis=0) - pts.min(axis=0)).max())
        assert 0.25 * size <= side <= 0.95 * size


def test_every_drawing_preprocesses() -> None:
    drawings, labels = synthetic_drawings(5, seed=3)
    masses = []
    for strokes in drawings:
        out = preprocess_strokes(strokes)
        assert out.shape == (28, 28) and np.isfinite(out).all()
        rows, cols = np.indices(out.shape)
        assert abs((rows * out).sum() / out.sum() - MNIST_CENTRE) < 0.1
        assert abs((cols * out).sum() / out.sum() - MNIST_CENTRE) < 0.1
        masses.append(out.sum())
    # MNIST's mean ink mass is 102 (digit 1: 60); drawings should be in that range.
    masses = np.asarray(masses)
    assert 80 < masses.mean() < 125
    assert masses[labels == 1].mean() < masses[labels == 8].mean()


@pytest.mark.parametrize("digit", [-1, 10, 2.0, True, "3"])
def test_bad_digit(digit) -> None:
    with pytest.raises(ValueError):
        draw_digit(digit, np.random.default_rng(0))
