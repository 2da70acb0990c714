"""Comparing two models, headless: the pair shown first, the same prior draws for both, and
where draws land among a model's encoded digits."""

from __future__ import annotations

import numpy as np
import pytest

from vaedesk.errors import LatentError
from vaedesk.insight.comparison import default_pair, prior_draws, vote

MODELS = [("mnist-vae-2d", "vae", 2), ("mnist-ae-2d", "ae", 2), ("mnist-vae-16d", "vae", 16),
          ("mnist-ae-16d", "ae", 16), ("mnist-vae-2d-beta4", "vae", 2)]


def _clusters(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three tight classes around (0, 0), (5, 0) and (0, 5)."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
    labels = np.repeat(np.arange(3), 200)
    return centres[labels] + rng.normal(0, 0.3, (600, 2)), labels


def test_the_same_seed_draws_the_same_points_for_every_model_of_a_latent_size() -> None:
    np.testing.assert_array_equal(prior_draws(16, 8, 7), prior_draws(16, 8, 7))
    assert not np.array_equal(prior_draws(16, 8, 7), prior_draws(16, 8, 8))
    assert prior_draws(2, 500, 0).shape == (500, 2) and abs(prior_draws(2, 5000, 0).std() - 1) < 0.05
    with pytest.raises(LatentError):
        prior_draws(0, 8, 0)


def test_a_code_in_a_cluster_gets_its_class_confidently_and_one_between_clusters_does_not() -> None:
    codes, labels = _clusters()
    votes = vote(np.array([[5.0, 0.1], [0.1, 4.9], [2.5, 2.5]]), codes, labels)
    assert votes.vote[:2].tolist() == [1, 2] and votes.confident.tolist() == [True, True, False]
    assert votes.share == pytest.approx(2 / 3)


def test_a_vote_split_between_classes_is_not_confident_and_leave_one_out_skips_the_code_itself() -> None:
    codes = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [-0.1, 0.0], [0.0, -0.1], [0.05, 0.05]])
    labels = np.array([0, 1, 0, 1, 0, 1])
    assert not vote(np.zeros((1, 2)), codes, labels).confident[0]
    clusters, classes = _clusters()
    assert vote(clusters[:50], clusters, classes, leave_one_out=True).share == 1.0


def test_bad_shapes_are_clear_errors() -> None:
    codes, labels = _clusters()
    with pytest.raises(LatentError, match="same D"):
        vote(np.zeros((2, 3)), codes, labels)
    with pytest.raises(LatentError, match="one label per test mean"):
        vote(np.zeros((2, 2)), codes, labels[:10])
    assert vote(np.zeros((0, 2)), codes, labels).share == 0.0


@pytest.mark.parametrize(("current", "expected"), [
    ("mnist-vae-2d", ("mnist-vae-2d", "mnist-ae-2d")),
    ("mnist-vae-16d", ("mnist-vae-16d", "mnist-ae-16d")),
    ("mnist-ae-16d", ("mnist-vae-16d", "mnist-ae-16d")),
    ("mnist-vae-2d-beta4", ("mnist-vae-2d-beta4", "mnist-ae-2d")),
    ("my-own-model", ("mnist-vae-2d", "mnist-ae-2d")),
])
def test_the_first_pair_is_a_vae_and_an_autoencoder_of_the_current_latent_size(current, expected) -> None:
    assert default_pair(current, MODELS) == expected


def test_without_an_autoencoder_the_pair_is_two_different_models() -> None:
    vaes = [("a", "vae", 2), ("b", "vae", 16)]
    assert default_pair("b", vaes) == ("b", "a")
    with pytest.raises(LatentError):
        default_pair("a", [])
