"""Property-based tests: hostile command lines for every sub-command.

Each bad argument list ends with a non-zero exit and exactly one error line on stderr that
names the problem (argparse adds its usage lines), never a traceback, and leaves nothing
behind. Only cheap paths run: every generated train fails before loading data, every eval
before evaluating, and morphs decode a handful of frames of a tiny model.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from vaedesk.cli import main
from vaedesk.latent.geometry import EASINGS
from vaedesk.model.model import Model, list_models, new_card
from vaedesk.model.nets import AutoEncoder

ERROR_LINE = re.compile(r"^vaedesk(?: [a-z]+)?: error: .")
# argparse's own error lines (usage errors) as opposed to vaedesk's ("vaedesk: error: ...").
ARGPARSE_ERROR = re.compile(r"^vaedesk [a-z]+: error: |^vaedesk: error: (argument|unrecognized|the following)")


def run_cli(capsys, argv: list[str]) -> tuple[int, str, str]:
    threads = torch.get_num_threads()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = exc.code
    finally:
        torch.set_num_threads(threads)  # a generated --threads must not slow later tests
    out, err = capsys.readouterr()
    return code, out, err


def refused(code, err: str) -> str:
    """Assert a clean refusal; return its one error line."""
    assert code not in (0, None), err
    assert "Traceback" not in err, err
    lines = err.split("\n")  # what a terminal breaks on (str.splitlines also breaks on \x1e, \x85...)
    errors = [line for line in lines if re.match(r"^vaedesk.*: error:", line)]
    assert len(errors) == 1 and ERROR_LINE.match(errors[0]), err
    others = [line for line in lines if line and line != errors[0]]
    assert all(line.startswith(("usage:", " ")) for line in others), err  # argparse usage only
    return errors[0]


@pytest.fixture(scope="module")
def small_model_path(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    net = AutoEncoder("vae", 2, width=2, hidden=4)
    return Model(net, new_card("vae", 2, width=2, hidden=4)).save(tmp_path_factory.mktemp("cli") / "small")


# Not a help request; no line break (argparse echoes unrecognized arguments as they are); no
# lone surrogates (the real stderr escapes them, pytest's captured one refuses them).
junk = st.text(st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)), max_size=12).filter(
    lambda t: not t.startswith(("-h", "--h")))
numbers_as_text = st.one_of(
    st.integers(-(10**25), 10**25).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["0", "1", "-1", "2", "1e309", "-1e309", "nan", "-nan", "inf", "-inf", "1e-320", "0x10", "1_000",
                     " 7 ", "", "٣", "9" * 5000, "1.5", "-0", "513", "1025", "65537", str(2**64), str(-(2**63) - 1),
                     "100", "0.5", "100000"]),
    junk,
)


# --------------------------------------------------------------------------- train

def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _positive(text: str) -> int | None:
    value = _int(text)
    return value if value is not None and value >= 1 else None


# flag: (argparse's conversion: the value or None, TrainConfig.validate's range, words naming it)
TRAIN = {
    "--latent-dim": (_positive, lambda v: v <= 512, "latent dimension"),
    "--epochs": (_positive, lambda v: True, "epochs"),
    "--batch-size": (_positive, lambda v: v <= 65536, "batch size"),
    "--limit": (_positive, lambda v: True, "limit"),
    "--width": (_positive, lambda v: v <= 1024, "width"),
    "--hidden": (_positive, lambda v: v <= 1024, "hidden"),
    "--threads": (lambda t: v if (v := _positive(t)) is not None and v <= 1024 else None, lambda v: True, "threads"),
    "--seed": (_int, lambda v: -(2**63) <= v < 2**64, "seed"),
    "--lr": (_float, lambda v: 0 < v <= 1, "learning rate"),
    "--beta": (_float, lambda v: 0 <= v <= 1000, "beta"),
    "--augment": (_float, lambda v: 0 <= v <= 1, "augment"),
    "--pen-style": (_float, lambda v: 0 <= v <= 1, "pen style"),
}
NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")


def taken_as_option(value: str, flag: str = "") -> bool:
    """argparse reads a value that looks like an option as a (missing) option instead;
    the command line glues points such as ``--via -0.5,1`` to their flag first."""
    if flag in ("--from", "--to", "--via") and re.match(r"-\.?\d", value):
        return False
    return value.startswith("-") and " " not in value and not NEGATIVE_NUMBER.match(value)


@given(st.lists(st.tuples(st.sampled_from(sorted(TRAIN)), numbers_as_text), min_size=1, max_size=4))
def test_train_numbers(capsys, tmp_path, pairs):
    argv = ["train"] + [item for pair in pairs for item in pair]
    argv += ["--data", str(tmp_path / "no-such-data"), "--out", str(tmp_path / "never")]
    code, _, err = run_cli(capsys, argv)
    line = refused(code, err)
    assert not (tmp_path / "never.json").exists()

    unparsable = [flag for flag, value in pairs if TRAIN[flag][0](value) is None]
    if any(taken_as_option(value) for _, value in pairs):
        assert ARGPARSE_ERROR.match(line), line  # "expected one argument", "ambiguous option", ...
    elif unparsable:
        assert re.search(rf"argument ({'|'.join(unparsable)}):", line), line
    else:
        final = dict(pairs)  # the last of a repeated flag wins
        out_of_range = [TRAIN[f][2] for f, v in final.items() if not TRAIN[f][1](TRAIN[f][0](v))]
        if out_of_range:
            assert line.startswith("vaedesk: error: ") and any(f"{w} must" in line for w in out_of_range), line
        else:  # every number is fine: training starts and stops at the missing data
            assert re.search(r"no-such-data: data folder not found$", line), line


@given(st.lists(junk, max_size=6))
def test_train_junk(capsys, tmp_path, tokens):
    code, _, err = run_cli(capsys, ["train", *tokens, "--data", str(tmp_path / "no-such-data")])
    line = refused(code, err)
    assert re.search(r"data folder not found|must|argument|unrecognized|ambiguous|model|cannot open", line), line


def test_train_settings_are_checked_before_any_data_is_read(capsys, tmp_path):
    # Bundled MNIST, so the data would load: the bad width must stop it first.
    code, _, err = run_cli(capsys, ["train", "--width", "5000", "--seed", str(2**70), "--out", str(tmp_path / "m")])
    line = refused(code, err)
    assert "width must be 1..1024, not 5000" in line and "seed must be" in line
    code, _, err = run_cli(capsys, ["train", "--threads", "100000", "--data", str(tmp_path)])
    assert "argument --threads: must be at most 1024" in refused(code, err)


# --------------------------------------------------------------------------- eval and models

@given(st.lists(junk, max_size=4), junk)
def test_eval_models_that_do_not_exist(capsys, tmp_path, monkeypatch, tokens, model):
    monkeypatch.chdir(tmp_path)
    assume(model not in list_models() and not taken_as_option(model))
    code, _, err = run_cli(capsys, ["eval", *tokens, "--model", model])
    line = refused(code, err)
    if not ARGPARSE_ERROR.match(line):
        assert re.search(r"no model named|model weights not found|is a folder|cannot open|card", line), line


@given(st.lists(junk, min_size=1, max_size=4))
def test_models_takes_no_arguments(capsys, tokens):
    code, _, err = run_cli(capsys, ["models", *tokens])
    assert ARGPARSE_ERROR.match(refused(code, err))


@given(junk.filter(lambda t: t not in ("train", "eval", "encode", "morph", "traverse", "models")
                  and not t.startswith("-")))
def test_unknown_commands(capsys, command):
    # A word that is no command is taken for a file to open (vaedesk FILE): none is there
    # (an existing path such as "/" gets its own message).
    assume(command and not Path(command).exists())
    code, _, err = run_cli(capsys, [command])
    assert "no such file" in refused(code, err)


# --------------------------------------------------------------------------- encode and morph

@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    """Files a user might pass as images: one good digit and every kind of bad file."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("inputs")
    digit = Image.new("L", (40, 40), 255)
    digit.paste(0, (15, 5, 25, 35))  # a dark "1" on white paper
    digit.save(folder / "one.png")
    Image.new("L", (30, 30), 128).save(folder / "blank.png")
    (folder / "empty.png").write_bytes(b"")
    (folder / "text.png").write_text("not an image\n")
    (folder / "cut.png").write_bytes((folder / "one.png").read_bytes()[:60])
    (folder / "sub").mkdir()
    return {
        "good": folder / "one.png",
        "blank": folder / "blank.png",
        "empty": folder / "empty.png",
        "text": folder / "text.png",
        "cut": folder / "cut.png",
        "folder": folder / "sub",
        "missing": folder / "missing.png",
        "long": folder / ("n" * 300 + ".png"),
    }


BAD_FILE = {
    "blank": r"blank\.png: image is blank",
    "empty": r"empty\.png: file is empty",
    "text": r"text\.png: not an image file",
    "cut": r"cut\.png: truncated or corrupt image",
    "folder": r"sub: is a folder",
    "missing": r"missing\.png: file not found",
    "long": r"n\.png: cannot open \(File name too long\)",
}


@given(st.lists(st.sampled_from(["good", *BAD_FILE]), min_size=1, max_size=4), st.booleans())
def test_encode_bad_images_are_named(capsys, inputs, small_model_path, names, as_json):
    assume(any(n != "good" for n in names))
    argv = ["encode", *[str(inputs[n]) for n in names], "--model", str(small_model_path)]
    code, out, err = run_cli(capsys, argv + (["--json"] if as_json else []))
    line = refused(code, err)
    first_bad = next(n for n in names if n != "good")  # images are read in order
    assert re.search(BAD_FILE[first_bad], line), line
    assert out == ""


# Each morph field: (strategy of bad values, regex the error must match when it is to blame).
POINT_PROBLEMS = (r"expected 2 comma-separated numbers|not a latent point|must be finite|"
                  r"test index must be in 0\.\.9999|"
                  r"latent coordinates must lie within ±1000, got -?\d|"
                  r"file not found|cannot open|is a folder|not an image|truncated|file is empty|image is blank")


def bad_point(inputs):
    return st.one_of(
        st.lists(st.floats(-5, 5).map(repr), min_size=1, max_size=4).filter(lambda c: len(c) != 2).map(",".join),
        st.tuples(st.sampled_from(["nan", "inf", "-inf", "1e999"]), st.floats(-5, 5).map(repr)).map(",".join),
        st.tuples(st.floats(-5, 5), st.floats(1000, exclude_min=True, allow_infinity=False))
          .map(lambda p: f"{p[0]!r},{p[1] * (-1) ** int(p[0] > 0)!r}"),  # beyond ±1000, with either sign
        st.integers(-(10**6), -1).map(lambda i: f"test:{i}")
        | st.sampled_from(["test:", "test:x", "test:1.5", "0,abc"]),
        st.integers(10_000, 10**4000).map(lambda i: f"test:{i}"), st.just("test:" + "9" * 5000),
        st.sampled_from([str(inputs[n]) for n in BAD_FILE]),
        st.sampled_from(["1,2,3", "a,b", "0,,1", "(0,1", "[1 2]", ",", "e,e", "--", "1e5,1e5e"]),
    )


def bad_field(inputs, tmp_path):
    gif_dir = tmp_path / "exists.gif"
    gif_dir.mkdir(exist_ok=True)
    afile = tmp_path / "afile"
    afile.write_text("x")
    return {
        "--from": (bad_point(inputs), POINT_PROBLEMS),
        "--to": (bad_point(inputs), POINT_PROBLEMS),
        "--via": (bad_point(inputs), POINT_PROBLEMS),
        "--frames": (st.one_of(st.integers(-(10**30), 1), st.integers(10_001, 10**30)).map(str)
                     | st.sampled_from(["2.5", "ten", "1e3", ""]), r"frames"),
        "--fps": (st.one_of(st.floats(max_value=0.4999), st.floats(min_value=100.0001),
                            st.sampled_from(["nan", "inf", "fast"])).map(str), r"fps"),
        "--size": (st.one_of(st.integers(-(10**30), 27), st.integers(2049, 10**30)).map(str)
                   | st.sampled_from(["1.5", "big"]), r"size"),
        "--method": (junk.filter(lambda t: t not in ("linear", "spherical")), r"method"),
        "--easing": (junk.filter(lambda t: t not in EASINGS), r"easing"),
        "--out": (st.sampled_from([str(tmp_path / "m.txt"), str(tmp_path / "m.png"), str(gif_dir), str(afile),
                                   str(tmp_path / ("n" * 300 + ".gif")), str(tmp_path / ("n" * 300))]),
                  r"\.gif file or a folder|cannot write|not a folder|it is a folder"),
    }


@pytest.mark.slow
@given(st.data())
def test_morph_bad_arguments(capsys, tmp_path, inputs, small_model_path, data):
    fields = bad_field(inputs, tmp_path)
    good = {"--from": "0,0", "--to": str(inputs["good"]), "--frames": "3", "--fps": "10", "--size": "28",
            "--method": "linear", "--easing": "linear", "--out": str(tmp_path / "m.gif")}
    chosen = data.draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3, unique=True))
    args = dict(good)
    for field in chosen:
        args[field] = data.draw(fields[field][0], label=field)
    argv = ["morph", "--model", str(small_model_path)]
    for flag, value in args.items():  # optional good settings are sometimes left to their defaults
        if flag in chosen or flag in ("--from", "--to", "--out") or data.draw(st.booleans()):
            argv += [flag, value]
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = run_cli(capsys, argv)
    line = refused(code, err)
    if any(taken_as_option(args[f], f) for f in chosen):
        assert ARGPARSE_ERROR.match(line), line
    else:
        assert any(re.search(fields[f][1], line) for f in chosen), line
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "a failed morph left a file behind"
    assert out == ""


coordinate = st.floats(-1000, 1000).map(repr) | st.integers(-1000, 1000).map(str)  # vaedesk.support.limits.LATENT_LIMIT
point_formats = st.sampled_from(["{},{}", "{}, {}", "({},{})", "[{}, {}]", " {},{} "])
good_point = st.tuples(coordinate, coordinate, point_formats).map(
    lambda t: t[2].format(t[0], t[1]))


@settings(max_examples=max(5, settings.default.max_examples // 4))
@given(good_point, st.lists(good_point, max_size=2), good_point, st.integers(2, 6),
       st.sampled_from(["linear", "spherical"]), st.sampled_from(sorted(EASINGS)), st.booleans())
def test_morph_valid_points_keep_working(capsys, tmp_path, small_model_path, start, via, end, frames, method,
                                         easing, pingpong):
    from PIL import Image

    out_path = tmp_path / "ok.gif"
    out_path.unlink(missing_ok=True)
    argv = ["morph", "--from", start, "--to", end, "--out", str(out_path), "--model", str(small_model_path),
            "--frames", str(frames), "--size", "28", "--method", method, "--easing", easing]
    for point in via:  # negative first coordinates too: "--via -0.5,1"
        argv += ["--via", point]
    code, out, err = run_cli(capsys, argv + (["--pingpong"] if pingpong else []))
    assert code == 0, err
    assert out.strip() == f"wrote {out_path}"
    with Image.open(out_path) as gif:
        assert gif.n_frames == (2 * frames - 2 if pingpong else frames) and gif.size == (28, 28)


@given(st.lists(junk, max_size=8))
def test_morph_junk(capsys, tmp_path, small_model_path, tokens):
    code, _, err = run_cli(capsys, ["morph", *tokens, "--model", str(small_model_path), "--frames", "0"])
    refused(code, err)
    assert list(tmp_path.iterdir()) == []


def test_morph_frames_are_bounded(capsys, tmp_path, small_model_path):
    # Before the bound, 10**12 frames asked for a 16 TB array of latent points.
    code, _, err = run_cli(capsys, ["morph", "--from", "0,0", "--to", "1,1", "--frames", str(10**12),
                                    "--out", str(tmp_path / "m.gif"), "--model", str(small_model_path)])
    assert "a morph has at most 10000 frames, got 1000000000000" in refused(code, err)


def test_error_quoting_a_line_break_stays_one_line(capsys, tmp_path, small_model_path):
    bad = tmp_path / "two\nlines.png"
    code, _, err = run_cli(capsys, ["encode", str(bad), "--model", str(small_model_path)])
    assert refused(code, err).endswith("two\\nlines.png: file not found")


def test_json_output_stays_clean_on_error(capsys, inputs, small_model_path):
    code, out, err = run_cli(capsys, ["encode", str(inputs["good"]), str(inputs["blank"]), "--json",
                                      "--model", str(small_model_path)])
    assert re.search(BAD_FILE["blank"], refused(code, err)) and out == ""
    code, out, err = run_cli(capsys, ["encode", str(inputs["good"]), "--json", "--model", str(small_model_path)])
    assert code == 0 and json.loads(out)["images"][0]["image"] == str(inputs["good"])
