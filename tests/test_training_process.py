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


def test_the_child_runs_the_studios_request_and_answers_in_its_messages(tmp_path):
    """The child's side of the wire: a run's JSON request in, its messages out in order."""
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    request = {"config": {"epochs": 1, "limit": 128, "batch_size": 64, "width": 4, "hidden": 16, "augment": 0.0},
               "out": str(tmp_path / "studio"), "initial": None, "command": "vaedesk train --epochs 1"}
    child = subprocess.Popen([sys.executable, "-m", "vaedesk.training.child"], cwd=REPO, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             env={**os.environ, "VAEDESK_HOME": str(tmp_path / "home")})
    try:
        child.stdin.write(json.dumps(request) + "\n")
        child.stdin.flush()  # stdin stays open: its end would stop the run
        messages = []
        for line in child.stdout:
            messages.append(json.loads(line))
            if messages[-1]["type"] in ("finished", "failed", "cancelled"):
                break
    finally:
        child.stdin.close()
        child.wait(timeout=60)
    kinds = [m["type"] for m in messages]
    assert kinds == ["snapshot", "progress", "checkpoint", "snapshot", "status", "finished"], kinds
    first, epoch_end, checkpoint, final, status, finished = messages
    assert first["step"] == 1 and unpack_array(first["scatter_xy"]).shape[1] == 2
    assert epoch_end["epoch_done"] and set(epoch_end["test"]) == {"recon", "kl", "neg_elbo"}
    assert checkpoint == {"type": "checkpoint", "path": finished["path"], "epoch": 1}
    assert final["step"] == -1 and status["text"] == "Evaluating on the test set…"
    assert finished["path"] == str(tmp_path / "studio.safetensors") and "neg_elbo" in finished["metrics"]
