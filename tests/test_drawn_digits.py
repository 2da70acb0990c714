"""The held-out drawn digits: read safely, measured by the evaluation, never seen by training."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from vaedesk.data.drawn_digits import heldout_path, load_drawn_digits
from vaedesk.data.strokes import preprocess_strokes
from vaedesk.errors import VaedeskError


def test_bundled_set_is_600_readable_drawings_of_every_digit():
    held = load_drawn_digits()
    assert len(held) == 600 and len(held.strokes) == 600 and len(held.styles) == 600
    assert np.bincount(held.labels, minlength=10).tolist() == [60] * 10
    assert len(set(held.styles)) >= 25  # many ways of drawing each digit, not one template
    for strokes in held.strokes[::37]:
        image = preprocess_strokes(strokes)
        assert image.shape == (28, 28) and 30 < image.sum() < 200


def _write(path, payload, compress=True):
    data = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.mark.parametrize(
    ("payload", "compress", "message"),
    [
        ({"format": "vaedesk-drawn-digits", "drawings": []}, False, "not a gzip"),
        (b"{not json", True, "not a gzip"),
        ([1, 2, 3], True, "not a drawn-digits file"),
        ({"format": "something-else", "drawings": []}, True, "not a drawn-digits file"),
        ({"format": "vaedesk-drawn-digits", "drawings": [{"label": 10, "strokes": [[[0, 0], [1, 1]]]}]}, True,
         "drawing 0 is malformed"),
        ({"format": "vaedesk-drawn-digits", "drawings": [{"label": True, "strokes": [[[0, 0]]]}]}, True,
         "drawing 0 is malformed"),
        ({"format": "vaedesk-drawn-digits", "drawings": [{"label": 3, "strokes": [[[0, "x"]]]}]}, True,
         "drawing 0 is malformed"),
        ({"format": "vaedesk-drawn-digits", "drawings": [{"label": 3, "strokes": [[1, 2, 3]]}]}, True,
         "drawing 0 is malformed"),
        ({"format": "vaedesk-drawn-digits", "drawings": [{"label": 3}]}, True, "drawing 0 is malformed"),
        ({"format": "vaedesk-drawn-digits", "drawings": [{"label": 3, "strokes": []}]}, True,
         "drawing 0 is malformed"),
    ],
)
def test_a_bad_file_is_named_in_one_line(tmp_path, payload, compress, message):
    path = _write(tmp_path / "bad.json.gz", payload, compress)
    with pytest.raises(VaedeskError, match=message) as info:
        load_drawn_digits(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_a_gzip_bomb_is_refused_unread(tmp_path):
    path = tmp_path / "bomb.json.gz"
    path.write_bytes(gzip.compress(b" " * (80 * 1024 * 1024)))  # 80 MB of blanks in 80 kB
    with pytest.raises(VaedeskError, match="more than"):
        load_drawn_digits(path)


@pytest.mark.slow
def test_training_never_reads_the_heldout_set(monkeypatch):
    """Run training with every option that draws (sketches, pen style, warps) and watch
    every file the interpreter opens: the held-out folder is never among them."""
    from vaedesk.training.config import TrainConfig
    from vaedesk.training.loop import train

    folder = str(heldout_path().parent.resolve())
    opened: list[str] = []
    watching = [True]

    def audit(event, args):
        if watching[0] and event == "open" and isinstance(args[0], str):
            opened.append(args[0])

    sys.addaudithook(audit)  # hooks cannot be removed; the flag switches this one off below
    try:
        train(TrainConfig(epochs=1, limit=300, batch_size=64, width=8, hidden=32, augment=0.5, pen_style=0.5,
                          elastic=1.5, sketches=0.3))
    finally:
        watching[0] = False
    assert opened, "the audit hook saw no file opened at all"
    assert not [p for p in opened if "drawn-digits" in p or p.startswith(folder)]
    # And no training module imports the reader.
    import vaedesk.data.penstyle
    import vaedesk.data.sketch_pairs
    import vaedesk.data.sketches
    import vaedesk.training.loop

    for module in (vaedesk.training.loop, vaedesk.data.sketch_pairs, vaedesk.data.sketches, vaedesk.data.penstyle):
        assert "drawn_digits" not in Path(module.__file__).read_text(encoding="utf-8"), module.__name__


def test_the_evaluations_drawings_are_made_once_and_cannot_be_changed():
    """Every training run's evaluation encodes the same drawings: they are preprocessed once
    per process, as the app preprocesses a drawing, and shared read-only."""
    from vaedesk.data.sketches import synthetic_drawings
    from vaedesk.data.strokes import preprocess_strokes
    from vaedesk.insight.evaluation import drawing_inputs

    inputs, labels = drawing_inputs(2, 3)
    assert drawing_inputs(2, 3)[0] is inputs and inputs.shape == (20, 28, 28) and len(labels) == 20
    strokes, want = synthetic_drawings(2, seed=3)
    np.testing.assert_array_equal(inputs[7], preprocess_strokes(strokes[7]))
    assert list(labels) == list(want)
    with pytest.raises(ValueError):
        inputs[0, 0, 0] = 1.0
    held, held_labels = drawing_inputs(0, 0, heldout=True)
    assert len(held) == len(held_labels) == 600
