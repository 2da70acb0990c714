"""Training on several processes: torchrun starts DistributedDataParallel (gloo on CPUs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from vaedesk.model.model import load_model

from tests.support.paths import REPO

pytestmark = [pytest.mark.subprocess, pytest.mark.slow]


def test_a_two_process_run_saves_one_model_that_loads_and_evaluates(tmp_path):
    out = tmp_path / "ddp"
    argv = ["train", "--limit", "1024", "--epochs", "2", "--batch-size", "64", "--width", "4", "--hidden", "16",
            "--threads", "1", "--seed", "1", "--out", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                             "-m", "vaedesk", *argv], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("saved ") == 1  # the first process alone saves and reports
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["processes"] == 2 and card["epochs"] == 2 and len(card["history"]) == 2
    assert card["command"] == "torchrun --standalone --nproc-per-node 2 -m vaedesk " + " ".join(argv)
    assert np.isfinite(card["metrics"]["neg_elbo"]) and card["metrics"]["neg_elbo"] < 550
    assert not out.with_name("ddp.run").exists()
    model = load_model(out)
    assert model.decode(np.zeros((1, 2))).shape == (1, 28, 28)
    evaluated = subprocess.run([sys.executable, "-m", "vaedesk", "eval", "--model", str(out), "--json"],
                               cwd=REPO, capture_output=True, text=True, timeout=600)
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["neg_elbo"] == card["metrics"]["neg_elbo"]
