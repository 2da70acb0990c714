"""The command line: each sub-command, and one clear line plus a non-zero exit for bad input."""

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from vaedesk.cli import main
from vaedesk.data.datasets import load_split

from tests.support.cli import assert_one_line_error, run_cli
from tests.support.paths import REPO


@pytest.fixture
def digit_png(tmp_path):
    image = (load_split("test").images[0] * 255).astype(np.uint8)
    path = tmp_path / "seven.png"
    Image.fromarray(255 - image).resize((140, 140)).save(path)  # dark ink on white, larger
    return path


@pytest.mark.slow
def test_train_then_eval_json(capsys, tmp_path):
    out_path = tmp_path / "quick"
    code, out, err = run_cli(capsys, "train", "--limit", "256", "--epochs", "1", "--batch-size", "64", "--seed", "2",
                         "--out", str(out_path))
    assert code == 0, err
    assert "epoch 1/1" in err and "recon" in err and "KL" in err
    card = json.loads(out_path.with_suffix(".json").read_text())
    assert card["command"].startswith("vaedesk train --limit 256")
    assert card["seed"] == 2 and card["epochs"] == 1 and card["kind"] == "vae"
    metrics = {"neg_elbo", "recon", "kl", "active_units", "knn5_test", "knn5_drawings", "knn5_heldout"}
    assert metrics <= set(card["metrics"])
    code, out, err = run_cli(capsys, "eval", "--model", str(out_path.with_suffix(".safetensors")), "--json")
    assert code == 0, err
    metrics = json.loads(out)
    assert metrics["neg_elbo"] == pytest.approx(card["metrics"]["neg_elbo"], rel=1e-4)
    assert metrics["neg_elbo"] == pytest.approx(metrics["recon"] + metrics["kl"], rel=1e-3)


@pytest.mark.slow
def test_eval_per_digit_table(capsys, tiny_model_path):
    code, out, err = run_cli(capsys, "eval", "--model", str(tiny_model_path), "--per-digit")
    assert code == 0, err
    assert "5-NN accuracy, held-out drawings" in out
    table = [line for line in out.splitlines() if line.startswith("|")]
    assert table[0] == "| digit | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 |"
    rows = {line.split("|")[1].strip(): line.split("|")[2:-1] for line in table[2:]}
    assert set(rows) == {"MNIST test digits", "training-family drawings", "held-out drawings"}
    assert all(len(cells) == 10 and all(0 <= float(c) <= 1 for c in cells) for cells in rows.values())
    code, out, err = run_cli(capsys, "eval", "--model", str(tiny_model_path), "--per-digit", "--json")
    result = json.loads(out)
    assert set(result["per_digit"]) == {"test", "drawings", "heldout"}
    # The per-digit accuracies average (60 drawings of each digit) to the overall one.
    assert np.mean(result["per_digit"]["heldout"]) == pytest.approx(result["knn5_heldout"], abs=1e-3)


@pytest.mark.slow
def test_eval_default_model_text(capsys):
    code, out, _ = run_cli(capsys, "eval")
    assert code == 0 and "mnist-vae-2d" in out and "negative ELBO" in out and "5-NN" in out


def test_encode_json(capsys, digit_png, tiny_model_path):
    code, out, err = run_cli(capsys, "encode", str(digit_png), str(digit_png), "--json",
                             "--model", str(tiny_model_path))
    assert code == 0, err
    result = json.loads(out)
    assert len(result["images"]) == 2 and len(result["images"][0]["mean"]) == 2
    assert result["images"][0]["mean"] == result["images"][1]["mean"]
    assert all(s > 0 for s in result["images"][0]["std"])


def test_morph_gif(capsys, tmp_path, digit_png, tiny_model_path):
    out_path = tmp_path / "m.gif"
    code, out, err = run_cli(capsys, "morph", "--from", "test:3", "--via", str(digit_png), "--to", "0.5,-1.2",
                         "--frames", "10", "--fps", "20", "--size", "56", "--pingpong", "--out", str(out_path),
                         "--model", str(tiny_model_path))
    assert code == 0, err
    with Image.open(out_path) as gif:
        assert gif.n_frames == 18 and gif.size == (56, 56) and gif.info["loop"] == 0
        assert gif.info["duration"] == 50


def test_morph_png_frames(capsys, tmp_path, tiny_model_path):
    folder = tmp_path / "frames"
    code, _, err = run_cli(capsys, "morph", "--from", "0,0", "--to", "1,1", "--frames", "5", "--out", str(folder),
                       "--model", str(tiny_model_path))
    assert code == 0, err
    assert sorted(p.name for p in folder.iterdir()) == [f"frame_{i:04d}.png" for i in range(5)]


def test_models_lists_shipped(capsys):
    code, out, _ = run_cli(capsys, "models")
    assert code == 0 and out.splitlines()[0].startswith("mnist-vae-2d")


@pytest.mark.parametrize(
    "argv, words",
    [
        (["eval", "--model", "nope"], ["no model named 'nope'"]),
        (["encode", "missing.png"], ["missing.png"]),
        (["morph", "--from", "1,2,3", "--to", "0,0", "--out", "x.gif"], ["expected 2"]),
        (["morph", "--from", "test:99999", "--to", "0,0", "--out", "x.gif"],
         ["test:99999: test index must be in 0..9999"]),
        (["morph", "--from", "0,0", "--to", "1,1", "--frames", "0", "--out", "x.gif"], ["frames"]),
        (["morph", "--from", "0,0", "--to", "nan,1", "--out", "x.gif"], []),
        (["morph", "--from", "0,0", "--to", "1,1", "--out", "x.txt"], [".gif"]),
        (["morph", "--from", "0,0", "--to", "1,1", "--size", "5", "--out", "x.gif"], ["size"]),
        (["train", "--data", "/nonexistent-folder", "--epochs", "1"], ["not found"]),
    ],
)
def test_bad_input_gives_one_line(capsys, tmp_path, monkeypatch, argv, words):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, *argv)
    assert_one_line_error(code, err, *words)
    assert not any(tmp_path.iterdir()), "no output may be left behind"


def test_bad_image_files(capsys, tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("hello")
    for name in ("empty.png", "text.png"):
        code, _, err = run_cli(capsys, "encode", str(tmp_path / name))
        assert_one_line_error(code, err, name)


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "--epochs", "zero"])
    assert info.value.code == 2


@pytest.mark.subprocess
def test_entry_point_runs_as_module():
    result = subprocess.run([sys.executable, "-m", "vaedesk", "--version"], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0 and result.stdout.startswith("vaedesk ")


def test_train_argv_reproduces_a_config_through_the_parser():
    from vaedesk.cli import build_parser
    from vaedesk.training.config import TrainConfig

    config = TrainConfig(kind="vae", latent_dim=3, epochs=4, batch_size=64, lr=3e-4, beta=0.0, seed=7,
                         data_dir="/data/fashion", limit=500, augment=0.0, pen_style=0.25, elastic=1.5, sketches=0.1,
                         width=16, hidden=128, device="cuda:1", amp=True, jitter=0.25, ema=0.999)
    args = build_parser().parse_args(config.to_argv("/tmp/out", from_model="mnist-vae-2d"))
    assert TrainConfig.from_options(args) == config
    assert (args.out, args.from_model) == ("/tmp/out", "mnist-vae-2d")


# --------------------------------------------------------------------------- text from model files


def _user_model(tiny_model_path, stem, **card_changes):
    from vaedesk.support.paths import user_models_dir

    folder = user_models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"{stem}.safetensors"
    weights.write_bytes(tiny_model_path.read_bytes())
    card = json.loads(tiny_model_path.with_suffix(".json").read_text())
    card.update(card_changes)
    weights.with_suffix(".json").write_text(json.dumps(card))
    return weights


def test_models_lists_a_broken_model_with_its_reason(capsys, tiny_model_path):
    _user_model(tiny_model_path, "broken", metrics={"neg_elbo": "abc"})
    _user_model(tiny_model_path, "fine")
    _user_model(tiny_model_path, "evil\x1b[2J\nname")
    code, out, err = run_cli(capsys, "models")
    assert code == 0 and "Traceback" not in err, err
    lines = out.splitlines()
    assert len(lines) == len(set(lines)) >= 6 and "\x1b" not in out
    broken = next(line for line in lines if line.startswith("broken"))
    assert 'card field metrics.neg_elbo must be a finite number, not "abc")' in broken
    assert any(line.startswith("fine  vae, 2-d  test -ELBO 0.0") for line in lines)
    assert any(line.startswith("evil\\x1b[2J\\nname  (broken: ") for line in lines)


def test_eval_escapes_the_card_name_and_refuses_nan(capsys, tiny_model_path, monkeypatch):
    import vaedesk.insight.evaluation

    weights = _user_model(tiny_model_path, "named", name="red\x1b[31m\nsecond line")
    monkeypatch.setattr(vaedesk.insight.evaluation, "evaluate", lambda *a, **k: {"neg_elbo": 100.0, "active_units": 2})
    code, out, err = run_cli(capsys, "eval", "--model", str(weights))
    assert code == 0, err
    assert out.splitlines()[0] == "red\\x1b[31m\\nsecond line: vae, 2-d latent"
    code, out, _ = run_cli(capsys, "eval", "--model", str(weights), "--json")
    assert json.loads(out)["model"] == "red\x1b[31m\nsecond line" and "\x1b" not in out  # JSON escapes it

    monkeypatch.setattr(vaedesk.insight.evaluation, "evaluate",
                        lambda *a, **k: {"neg_elbo": float("nan"), "recon": 1.0})
    for extra in ([], ["--json"]):
        code, out, err = run_cli(capsys, "eval", "--model", str(weights), *extra)
        assert_one_line_error(code, err, "produced NaN or infinite values on the test set (neg_elbo)")
        assert out == "" and "\x1b" not in err


def test_the_train_options_default_to_train_configs_defaults():
    from vaedesk.cli import build_parser
    from vaedesk.training.config import TrainConfig

    args = build_parser().parse_args(["train"])
    assert TrainConfig.from_options(args) == TrainConfig()
    assert TrainConfig().to_argv("m") == [
        "train", "--kind", "vae", "--latent-dim", "2", "--epochs", "30", "--batch-size", "128", "--lr", "0.001",
        "--beta", "1.0", "--seed", "0", "--augment", "0.5", "--pen-style", "0.5", "--elastic", "0.0",
        "--sketches", "0.0", "--width", "32", "--hidden", "512", "--out", "m"]


def test_every_setting_is_a_train_option_with_its_help():
    from vaedesk.cli import build_parser
    from vaedesk.training.config import TrainConfig

    parser = build_parser()
    shown = " ".join(parser.commands["train"].format_help().split())
    for _name, _default, option in TrainConfig.options():
        assert f"{option.flag} " in shown and " ".join(option.help.split()) in shown, option.flag
    assert parser.parse_args(["train", "--augment", "0.3", "--no-augment"]).augment == 0.0


_DEVICES = ["cpu", "auto", "cuda", "cuda:1", "mps"]


@st.composite
def train_configs(draw):
    """Any valid TrainConfig whose text values argparse reads as values, not options."""
    from vaedesk.training.config import TrainConfig

    fraction = st.floats(0, 1)
    kind = draw(st.sampled_from(["vae", "ae"]))
    data_dir = draw(st.none() | st.sampled_from(["/data/fashion", "/data/quick draw", "relative/folder"]))
    fine_tune = draw(st.sampled_from(["none", "decoder_only", "keep_means"] if kind == "vae" else
                                     ["none", "decoder_only"]))
    return TrainConfig(
        kind=kind, latent_dim=draw(st.integers(1, 512)), epochs=draw(st.integers(1, 10**6)),
        batch_size=draw(st.integers(1, 65536)), lr=draw(st.floats(1e-12, 1)), beta=draw(st.floats(0, 1000)),
        seed=draw(st.integers(-(2**63), 2**64 - 1)), data_dir=data_dir,
        limit=draw(st.none() | st.integers(1, 10**9)),
        categories=None if data_dir is None else draw(st.none() | st.sampled_from(["cat", "cat,house"])),
        augment=draw(fraction), pen_style=draw(fraction), elastic=draw(st.floats(0, 4)), sketches=draw(fraction),
        jitter=draw(fraction), ema=draw(st.floats(0, 0.9999)), width=draw(st.integers(1, 1024)),
        hidden=draw(st.integers(1, 1024)), device=draw(st.sampled_from(_DEVICES)), amp=draw(st.booleans()),
        decoder_only=fine_tune == "decoder_only", keep_means=fine_tune == "keep_means")


@given(train_configs())
def test_any_config_survives_to_argv_and_the_parser(config):
    from vaedesk.cli import build_parser
    from vaedesk.training.config import TrainConfig

    args = build_parser().parse_args(config.to_argv("/tmp/out", from_model="parent"))
    assert TrainConfig.from_options(args) == config
    assert (args.out, args.from_model) == ("/tmp/out", "parent")


@pytest.mark.subprocess
def test_without_a_display_the_app_says_so_in_one_line(tmp_path):
    import os

    from vaedesk.cli import missing_display

    if not sys.platform.startswith("linux"):
        pytest.skip("a display is only needed on Linux")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-m", "vaedesk"], env={**env, "VAEDESK_HOME": str(tmp_path)},
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert_one_line_error(result.returncode, result.stderr, "no display", "xvfb-run", "QT_QPA_PLATFORM=offscreen")
    assert missing_display({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert missing_display({"DISPLAY": ":0"}, "linux") is None
    assert missing_display({"WAYLAND_DISPLAY": "wayland-0", "QT_QPA_PLATFORM": "wayland"}, "linux") is None
    assert missing_display({"QT_QPA_PLATFORM": "xcb"}, "linux") is not None
    assert missing_display({}, "darwin") is None
