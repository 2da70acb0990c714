"""Runs that survive: a checkpoint every epoch, and --resume after a stop or a kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from vaedesk.cli import main
from vaedesk.model.model import load_model
from vaedesk.training.checkpoint import CHECKPOINT_FILE, load_checkpoint, run_dir_for
from vaedesk.training.config import TrainConfig, TrainingError
from vaedesk.training.loop import train

from tests.support.cli import assert_one_line_error
from tests.support.paths import REPO

SMALL = dict(limit=256, batch_size=64, width=8, hidden=32, augment=0.5, elastic=1.0)


def _weights(model) -> list[np.ndarray]:
    return [v.numpy().copy() for v in model.net.state_dict().values()]


@pytest.mark.parametrize("extra", [{}, {"jitter": 0.5, "ema": 0.9}], ids=["plain", "jitter-and-average"])
def test_a_resumed_run_ends_exactly_where_an_unbroken_one_does(tmp_path, extra):
    config = dict(epochs=3, seed=4, **SMALL, **extra)
    unbroken = train(TrainConfig(**config))

    # Stopped in the middle of epoch 2: the checkpoint holds epoch 1.
    steps = []
    train(TrainConfig(**config), run_dir=tmp_path / "m.run", on_step=lambda step, _net: steps.append(step),
          should_stop=lambda: len(steps) == 6)
    state = load_checkpoint(tmp_path / "m.run")
    assert state["epoch"] == 1 and state["step"] == 4 and len(state["history"]) == 1
    resumed = train(TrainConfig(**state["config"]), run_dir=tmp_path / "m.run", resume=state)
    for a, b in zip(_weights(unbroken), _weights(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    assert resumed.card["epochs"] == 3 and resumed.card["resumed"] == 1
    assert [h["epoch"] for h in resumed.card["history"]] == [1, 2, 3]
    assert resumed.card["history"] == unbroken.card["history"]
    assert resumed.card["device"] == "cpu" and resumed.card["processes"] == 1
    assert load_checkpoint(tmp_path / "m.run")["epoch"] == 3


def test_a_checkpoint_that_does_not_fit_is_one_clear_error(tmp_path):
    train(TrainConfig(epochs=1, **SMALL), run_dir=tmp_path / "a.run")
    state = load_checkpoint(tmp_path / "a.run")
    with pytest.raises(TrainingError, match="does not fit this run"):
        train(TrainConfig(**{**state["config"], "width": 4}), resume=state)


@pytest.mark.parametrize("content, message", [
    (None, "no run to resume here"),
    (b"not a checkpoint", "not a readable checkpoint"),
    ("torch", "not a vaedesk training checkpoint"),
])
def test_resume_refuses_a_missing_or_damaged_checkpoint_in_one_line(capsys, tmp_path, content, message):
    folder = tmp_path / "m.run"
    if content is not None:
        folder.mkdir()
        if content == "torch":
            torch.save({"something": "else"}, folder / CHECKPOINT_FILE)
        else:
            (folder / CHECKPOINT_FILE).write_bytes(content)
    code = main(["train", "--resume", str(folder)])
    assert_one_line_error(code, capsys.readouterr().err, message)


def test_resume_takes_the_runs_own_settings(capsys, tmp_path):
    code = main(["train", "--resume", str(tmp_path / "m.run"), "--epochs", "3"])
    assert_one_line_error(code, capsys.readouterr().err, "drop --epochs")


@pytest.mark.slow
@pytest.mark.subprocess
def test_a_run_killed_mid_epoch_resumes_to_the_epochs_asked_for(tmp_path):
    out = tmp_path / "killed"
    run_dir = run_dir_for(out)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    argv = ["train", "--limit", "4000", "--epochs", "3", "--width", "4", "--hidden", "16", "--batch-size", "32",
            "--threads", "1", "--seed", "2", "--out", str(out)]
    child = subprocess.Popen([sys.executable, "-m", "vaedesk", *argv], cwd=REPO, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while not (run_dir / CHECKPOINT_FILE).exists():
            assert child.poll() is None and time.monotonic() < deadline, "no checkpoint came"
            time.sleep(0.05)
        time.sleep(0.5)  # into epoch 2
        assert child.poll() is None, "the run ended before it could be killed"
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert load_checkpoint(run_dir)["epoch"] == 1 and not out.with_suffix(".json").exists()

    resumed = subprocess.run([sys.executable, "-m", "vaedesk", "train", "--resume", str(run_dir), "--threads", "1"],
                             cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["epochs"] == 3 and card["resumed"] == 1 and [h["epoch"] for h in card["history"]] == [1, 2, 3]
    assert card["command"] == "vaedesk " + " ".join(argv) and "neg_elbo" in card["metrics"]
    assert load_model(out).encode(np.zeros((1, 28, 28))).mean.shape == (1, 2)
    assert not run_dir.exists()  # a finished run forgets its checkpoint
