"""The command line's own failures: argparse errors in one line, output that cannot be
written, and a trained model whose destination cannot take it."""

from __future__ import annotations

import errno
import io
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaedesk.cli import main
from vaedesk.training import loop, saving
from vaedesk.training.config import TrainingError

from tests.support.cli import run_cli
from tests.support.paths import REPO

COMMANDS = ["train", "eval", "encode", "morph", "models"]


# Options given something that is not a number, or nothing at all, and junk arguments.
numeric_options = ["--epochs", "--batch-size", "--frames", "--size", "--lr", "--fps", "--bogus", "-x"]
bad_argument = st.sampled_from(numeric_options).flatmap(
    lambda flag: st.sampled_from([[flag], [flag, "zero"], [flag, "0"], [flag, "1e400"]])) | st.lists(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=8), min_size=1, max_size=3)


@pytest.mark.slow
@given(st.sampled_from(COMMANDS + [None]), bad_argument)
def test_usage_errors_are_one_line_with_a_pointer_to_help(capsys, command, tokens):
    argv = ([command] if command else []) + tokens
    code, out, err = run_cli(capsys, *argv)
    if code != 2:  # some junk is valid (encode's file names, a lone "models"): not this test's business
        return
    prog = f"vaedesk {command}" if command else "vaedesk"
    assert out == "" and err.count("\n") == 1, err
    assert re.fullmatch(r"vaedesk( [a-z]+)?: error: .+ \(see vaedesk( [a-z]+)? --help\)\n", err), err
    if command and not err.startswith("vaedesk: error: argument COMMAND"):
        assert err.startswith(f"{prog}: error: ") and err.endswith(f"(see {prog} --help)\n"), err


def test_the_example_from_the_issue(capsys):
    code, _, err = run_cli(capsys, "train", "--epochs", "0")
    assert code == 2
    assert err == "vaedesk train: error: argument --epochs: must be at least 1, got 0 (see vaedesk train --help)\n"


class FullDisk(io.StringIO):
    def write(self, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self):
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("argv", [["models"], ["encode", "DIGIT", "--json"], ["morph", "--from", "0,0", "--to", "1,1",
                                                                             "--frames", "2", "--out", "OUT"]])
def test_output_that_cannot_be_written_is_one_error_line(capsys, monkeypatch, tmp_path, argv):
    from PIL import Image

    digit = tmp_path / "digit.png"
    Image.fromarray(np.pad(np.full((20, 4), 255, np.uint8), 4)).save(digit)
    argv = [{"DIGIT": str(digit), "OUT": str(tmp_path / "m.gif")}.get(a, a) for a in argv]
    monkeypatch.setattr(sys, "stdout", FullDisk())
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 1 and err == "vaedesk: error: cannot write the output (No space left on device)\n", err


@pytest.mark.subprocess
def test_writing_to_dev_full_exits_cleanly():
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "vaedesk", "models"], stdout=full, stderr=subprocess.PIPE,
                                text=True, cwd=REPO)
    # Before: a traceback at exit ("Exception ignored ... OSError: [Errno 28]") and status 120.
    assert result.returncode == 1
    assert result.stderr == "vaedesk: error: cannot write the output (No space left on device)\n"


def test_train_checks_its_destination_before_training(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(loop, "train", lambda *a, **k: pytest.fail("trained before checking --out"))
    (tmp_path / "afile").write_text("")
    code, out, err = run_cli(capsys, "train", "--out", str(tmp_path / "afile" / "model"))
    assert code == 1 and out == ""
    assert err == f"vaedesk: error: cannot save a model in {tmp_path / 'afile'}: a file is in the way of the folder\n"

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(saving, "open", read_only, raising=False)  # the probe file
    code, out, err = run_cli(capsys, "train", "--out", str(tmp_path / "model"))
    assert err == f"vaedesk: error: cannot save a model in {tmp_path}: Read-only file system\n"
    assert list(tmp_path.iterdir()) == [tmp_path / "afile"]  # no probe left behind


def test_a_finished_run_that_cannot_be_saved_is_kept_elsewhere(tmp_path, monkeypatch, _isolated_home):
    import torch

    from vaedesk.model.model import Model, load_model, new_card
    from vaedesk.model.nets import AutoEncoder

    torch.manual_seed(0)
    tiny_model = Model(AutoEncoder("vae", 2, width=2, hidden=4), new_card("vae", 2, width=2, hidden=4))

    target = tmp_path / "full-disk"
    original = Model.save

    def save(self, path):
        if str(path).startswith(str(target)):
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, path)

    monkeypatch.setattr(Model, "save", save)
    monkeypatch.setattr("vaedesk.insight.evaluation.evaluate", lambda *a, **k: pytest.fail("evaluated a lost model"))
    with pytest.raises(TrainingError) as info:
        saving.save_and_evaluate(tiny_model, target / "model")
    message = str(info.value)
    kept = re.fullmatch(rf"cannot save the model as {re.escape(str(target / 'model'))} \(No space left on device\); "
                        r"the trained model was kept as (.+)", message)
    assert kept, message
    assert kept.group(1).startswith(str(_isolated_home / "models" / "model-rescued-"))
    z = np.array([[0.3, -0.2]], np.float32)
    np.testing.assert_array_equal(load_model(kept.group(1)).decode(z), tiny_model.decode(z))
