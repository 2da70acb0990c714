"""The training child's messages: arrays travel as their bytes and come back unchanged."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vaedesk.training.child import pack_array, unpack_array


@pytest.mark.parametrize("dtype", ["float32", "int16", "float64"])
def test_arrays_survive_a_json_line(dtype):
    array = (np.random.default_rng(0).normal(size=(37, 2)) * 100).astype(dtype)
    line = json.dumps({"type": "snapshot", "scatter_xy": pack_array(array, dtype)})
    back = unpack_array(json.loads(line)["scatter_xy"])
    assert back.dtype == np.dtype(dtype) and back.shape == (37, 2)
    np.testing.assert_array_equal(back, array)


def test_an_image_keeps_its_shape_and_an_empty_array_its_emptiness():
    image = np.linspace(0, 1, 784, dtype=np.float32).reshape(28, 28)
    np.testing.assert_array_equal(unpack_array(pack_array(image)), image)
    assert unpack_array(pack_array(np.zeros((0, 2)))).shape == (0, 2)


@pytest.mark.parametrize("broken", [
    {"dtype": "float32", "shape": [3, 2], "base64": "AAAA"},  # too few bytes for the shape
    {"dtype": "float32", "shape": [1], "base64": "not base64!"},
    {"dtype": "no such type", "shape": [1], "base64": "AAAAAA=="},
])
def test_a_garbled_array_is_an_error_not_garbage(broken):
    with pytest.raises((ValueError, TypeError)):
        unpack_array(broken)
