"""--device and --amp: any device by name, mixed precision, checked on the CPU here."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vaedesk.cli import main
from vaedesk.training.config import TrainConfig, TrainingError
from vaedesk.training.devices import pick_device
from vaedesk.training.loop import train

from tests.support.cli import assert_one_line_error

SMALL = dict(limit=256, batch_size=64, width=8, hidden=32, epochs=1)


def test_auto_picks_what_this_machine_has():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    if expected == "cpu" and getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        expected = "mps"
    assert pick_device("auto").type == expected
    assert pick_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_asking_for_a_missing_gpu_is_one_clear_line(capsys):
    with pytest.raises(TrainingError, match="no CUDA device"):
        pick_device("cuda")
    code = main(["train", "--device", "cuda:1", "--epochs", "1", "--limit", "64"])
    assert_one_line_error(code, capsys.readouterr().err, "no CUDA device")


@pytest.mark.parametrize("device", ["gpu", "cuda:x", "CPU", "", "cuda:1234"])
def test_a_device_name_is_checked_where_it_is_made(device):
    with pytest.raises(TrainingError, match="device must be auto, cpu, cuda, cuda:N or mps"):
        TrainConfig(device=device)


def test_mixed_precision_trains_and_is_recorded():
    model = train(TrainConfig(amp=True, device="auto", seed=1, **SMALL))
    assert np.isfinite(model.card["history"][-1]["test_neg_elbo"])
    assert model.card["training"]["amp"] is True and model.card["training"]["device"] == "auto"
    assert model.card["device"].split(":")[0].split(" ")[0] in ("cpu", "cuda", "mps")
    # The weights come back as float32 on the CPU, where the app runs them.
    assert {p.dtype for p in model.net.parameters()} == {torch.float32}
    assert {p.device.type for p in model.net.parameters()} == {"cpu"}
    argv = TrainConfig(amp=True, device="auto", **SMALL).to_argv("out")
    assert "--amp" in argv and argv[argv.index("--device") + 1] == "auto"
