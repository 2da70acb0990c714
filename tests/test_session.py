"""The autosaved session file: round trip, atomic writes, and strict reading of damaged files."""

import json

import numpy as np
import pytest

from vaedesk.session import (
    Drawing, MAX_GALLERY, Session, SessionError, load_session, save_session, session_path, set_aside,
)


def _session() -> Session:
    stroke = np.array([[10.0, 20.0], [30.5, 40.25], [50.0, 60.0]])
    image = np.random.default_rng(0).random((28, 28), dtype=np.float32)
    return Session(
        drawing=Drawing([stroke], 2.5),
        gallery=[Drawing([stroke, stroke + 5], 3.0), Drawing([], None, image)],
        pins=[(0.5, -1.25), (2.0, 3.0)],
        model="mnist-vae-2d",
    )


def test_round_trip_in_the_users_data_folder():
    original = _session()
    path = save_session(original)
    assert path == session_path() and path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["session.json"]  # no temporary left
    loaded = load_session()
    assert loaded.model == "mnist-vae-2d" and loaded.pins == original.pins
    np.testing.assert_allclose(loaded.drawing.strokes[0], original.drawing.strokes[0])
    assert loaded.drawing.pen_width == 2.5 and loaded.drawing.image is None
    assert len(loaded.gallery) == 2 and len(loaded.gallery[0].strokes) == 2
    np.testing.assert_allclose(loaded.gallery[1].image, original.gallery[1].image, atol=1e-4)
    assert loaded.gallery[1].strokes == []


def test_no_session_yet_is_none():
    assert load_session() is None


def test_a_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "session.json"
    save_session(_session(), path)
    before = path.read_bytes()
    broken = Session(pins=[(float("nan"), 0.0)])  # cannot be written as JSON
    with pytest.raises(ValueError):
        save_session(broken, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["session.json"]


def _write(tmp_path, data) -> str:
    path = tmp_path / "session.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


GOOD = {"format": "vaedesk-session", "version": 1, "model": None, "drawing": {"strokes": []}, "gallery": [], "pins": []}


@pytest.mark.parametrize("data, message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not a vaedesk session file"),
    ({**GOOD, "format": "other"}, "not a vaedesk session file"),
    ({**GOOD, "version": 99}, "version 99"),
    ({**GOOD, "pins": [[1, "x"]]}, "pin 1 must be a finite number"),
    ({**GOOD, "pins": [[1]]}, "pin 1 must be [x, y]"),
    ({**GOOD, "pins": "many"}, "pins must be a list"),
    ({**GOOD, "gallery": [{}] * (MAX_GALLERY + 1)}, "at most"),
    ({**GOOD, "drawing": {"strokes": [[[1, 2, 3]]]}}, "stroke 1 must be a list of [x, y] points"),
    ({**GOOD, "drawing": {"strokes": [[]]}}, "stroke 1 must be a list of [x, y] points"),
    ({**GOOD, "drawing": {"strokes": [[["a", "b"]]]}}, "stroke 1 is not a list of points"),
    ({**GOOD, "drawing": {"strokes": [[[1, 2]]], "pen_width": True}}, "pen width must be a finite number"),
    ({**GOOD, "drawing": {"strokes": [], "image": [[0.5] * 3] * 3}}, "image must be 28x28"),
    ({**GOOD, "drawing": {"strokes": [], "image": [[2.0] * 28] * 28}}, "image must be 28x28 values in [0, 1]"),
    ({**GOOD, "gallery": [{"strokes": [[[1, 1e999]]]}]}, "gallery drawing 1: stroke 1 has a NaN"),
    ({**GOOD, "model": 3}, "model must be a name"),
])
def test_a_damaged_file_gives_a_clear_error(tmp_path, data, message):
    with pytest.raises(SessionError, match="session.json: .*" + message.replace("[", r"\[").replace("]", r"\]")):
        load_session(_write(tmp_path, data))


def test_a_huge_file_is_refused_before_reading(tmp_path, monkeypatch):
    import vaedesk.session as session

    monkeypatch.setattr(session, "MAX_FILE_BYTES", 100)
    with pytest.raises(SessionError, match="too large"):
        load_session(_write(tmp_path, {**GOOD, "pins": [[0.0, 0.0]] * 50}))


def test_a_damaged_file_is_set_aside_never_deleted(tmp_path):
    path = _write(tmp_path, "{garbage")
    first = set_aside(path)
    _write(tmp_path, "{more garbage")
    second = set_aside(path)
    assert first.name == "session.damaged-1.json" and second.name == "session.damaged-2.json"
    assert first.read_text() == "{garbage" and second.read_text() == "{more garbage"
    assert not (tmp_path / "session.json").exists()
