"""Latent arithmetic's core (vaedesk.latent.attributes): groups, vectors, named attributes."""

from __future__ import annotations

import numpy as np
import pytest

import vaedesk
from vaedesk.errors import LatentError
from vaedesk.latent.attributes import (
    MAX_ATTRIBUTE_DIM,
    MAX_NAME_LENGTH,
    Attribute,
    Member,
    attribute_vector,
    check_attribute,
    check_attribute_name,
    group_latents,
    shifted,
)
from vaedesk.support.limits import LATENT_LIMIT


class FirstPixels:
    """A stand-in encoder whose mean is an image's first three pixels."""

    latent_dim = 3

    def encode(self, images):
        class Posterior:
            mean = np.asarray(images).reshape(len(images), -1)[:, :3].astype(np.float64)
        return Posterior()


def test_attribute_vector_is_the_difference_of_group_means():
    upright = np.zeros((4, 28, 28))
    slanted = np.zeros((2, 28, 28))
    slanted[:, 0, 1] = 2.0
    np.testing.assert_allclose(attribute_vector(FirstPixels(), upright, slanted), [0.0, 2.0, 0.0])
    np.testing.assert_allclose(attribute_vector(FirstPixels(), [[0, 0, 0]], [[1, 2, 3], [3, 2, 1]]), [2, 2, 2])
    with pytest.raises(LatentError, match="group A"):
        attribute_vector(FirstPixels(), np.zeros((0, 3)), [[1, 2, 3]])
    with pytest.raises(LatentError, match="group B"):
        attribute_vector(FirstPixels(), [[1, 2, 3]], [[1, 2]])
    with pytest.raises(LatentError, match="group B"):
        attribute_vector(FirstPixels(), [[1, 2, 3]], [[1, 2, np.nan]])
    assert vaedesk.attribute_vector is attribute_vector


def test_a_group_mixes_drawings_latents_and_test_digits():
    images = np.zeros((2, 28, 28), np.float32)
    images[1, 0, 0] = 1.0
    test_means = np.arange(30, dtype=np.float64).reshape(10, 3)
    members = [Member("images", images, "two drawings"), Member("latents", np.array([[5.0, 5, 5]]), "pin 1"),
               Member("test", np.array([0, 9]), "two test digits")]
    latents = group_latents(members, lambda x: FirstPixels().encode(x).mean, 3, test_means)
    np.testing.assert_allclose(latents, [[0, 0, 0], [1, 0, 0], [5, 5, 5], [0, 1, 2], [27, 28, 29]])
    # The vector of such groups is the difference of their means.
    other = group_latents([Member("test", np.array([1]), "one")], None, 3, test_means)
    np.testing.assert_allclose(attribute_vector(FirstPixels(), latents, other), [3 - 6.6, 4 - 6.8, 5 - 7.2])


@pytest.mark.parametrize("members, message", [
    ([], "at least one example"),
    ([Member("latents", np.zeros((1, 2)), "pin 3")], "pin 3: has 2 latent dimensions, the model 3"),
    ([Member("latents", np.full((1, 3), np.inf), "pin 4")], "pin 4"),
    ([Member("test", np.array([10]), "test #10")], "numbered 0 to 9"),
    ([Member("test", np.array([-1]), "test #-1")], "numbered 0 to 9"),
])
def test_a_group_that_cannot_be_used_is_one_clear_error(members, message):
    with pytest.raises(LatentError, match=message):
        group_latents(members, None, 3, np.zeros((10, 3)))


def test_test_digits_need_the_test_set():
    with pytest.raises(LatentError, match="test set is not available"):
        group_latents([Member("test", np.array([1]), "test #1")], None, 3, None)


@pytest.mark.parametrize("kind, data", [
    ("pixels", np.zeros((1, 28, 28))), ("images", np.zeros((28, 28))), ("images", np.zeros((0, 28, 28))),
    ("latents", np.zeros(3)), ("test", np.zeros((1, 1))),
])
def test_a_member_of_the_wrong_shape_or_kind_is_refused(kind, data):
    with pytest.raises(LatentError):
        Member(kind, data, "x")


def test_shifted_moves_along_the_vector_and_stays_in_range():
    np.testing.assert_allclose(shifted([1.0, 2.0], [0.5, -1.0], 2.0), [2.0, 0.0])
    assert np.abs(shifted([999.0, 0.0], [10.0, 0.0], 3.0)).max() == LATENT_LIMIT


def test_attribute_names_are_checked():
    assert check_attribute_name("  slant ") == "slant"
    for bad, message in (("", "give the attribute a name"), ("   ", "give"), ("a\nb", "control"),
                         ("x" * (MAX_NAME_LENGTH + 1), "at most"), (3, "text")):
        with pytest.raises(LatentError, match=message):
            check_attribute_name(bad)


def test_check_attribute_keeps_a_good_one_and_names_what_is_wrong():
    good = check_attribute(Attribute(" bold ", "mnist-vae-16d", [0.0, 1.0], [2.0, -1.0], "from A to B"))
    assert good.name == "bold" and good.start.dtype == np.float64
    np.testing.assert_allclose(good.end, [2.0, 0.0])
    assert good.belongs_to("mnist-vae-16d", 2) and not good.belongs_to("mnist-vae-16d", 3)
    for attribute, message in (
        (Attribute("a", "", [0.0], [1.0]), "model must be a name"),
        (Attribute("a", "m", [0.0, 1.0], [1.0]), "must have 2 numbers"),
        (Attribute("a", "m", [], []), "1 to"),
        (Attribute("a", "m", [0.0] * (MAX_ATTRIBUTE_DIM + 1), [0.0] * (MAX_ATTRIBUTE_DIM + 1)), "1 to"),
        (Attribute("a", "m", [True], [1.0]), "list of numbers"),
        (Attribute("a", "m", "01", [1.0]), "list of numbers"),
        (Attribute("a", "m", [0.0], [float("nan")]), "finite"),
        (Attribute("a", "m", [0.0], [10 ** 400]), "finite"),
        (Attribute("a", "m", [0.0], [LATENT_LIMIT + 1]), "within"),
        ("not one", "not an attribute"),
    ):
        with pytest.raises(LatentError, match=message):
            check_attribute(attribute)
