"""Autosave and restore of the user's work through the real window, including after a kill."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from vaedesk.data.sketches import draw_digit
from vaedesk.state.session import PinnedPoint, load_session, session_path

from tests.support.gui_input import answer_close_question, draw_strokes
from tests.support.paths import REPO
from tests.support.windows import open_window, wait_for_final_posterior

pytestmark = pytest.mark.usefixtures("default_reference")


def _draw(qtbot, win, digit, seed):
    draw_strokes(qtbot, win.canvas, draw_digit(digit, np.random.default_rng(seed)))
    return wait_for_final_posterior(qtbot, win)


@pytest.mark.slow
def test_drawing_gallery_and_pins_come_back_after_a_restart(qtbot):
    win, _ = open_window(qtbot)
    _draw(qtbot, win, 7, 1)
    win.keep_drawing()
    _draw(qtbot, win, 0, 2)  # replaces the strokes: the current drawing is a 0 on top of the 7
    win.add_pin(0.5, -0.5)
    win.add_pin(-1.0, 1.5)
    with qtbot.waitSignal(win.session_saved, timeout=5_000):
        pass  # autosaved shortly after the last change, without closing
    strokes, gallery_input = win.canvas.strokes(), win.workspace.gallery_input(0)
    win.close()

    again, _ = open_window(qtbot)
    restored = again.canvas.strokes()
    assert len(restored) == len(strokes)
    for a, b in zip(restored, strokes):
        np.testing.assert_allclose(a, b, atol=0.005)  # written to 2 decimals of canvas units
    assert len(again.workspace.gallery) == 1
    np.testing.assert_allclose(again.workspace.gallery_input(0), gallery_input, atol=1e-3)
    assert [tuple(np.round(xy, 6)) for _, xy in again.plane.pins()] == [(0.5, -0.5), (-1.0, 1.5)]
    assert "restored your last session: 2 drawing(s), 2 pin(s)" in again.statusBar().currentMessage()
    wait_for_final_posterior(qtbot, again)  # and the restored drawing is encoded
    again.close()


SCRIPT = """
import os, signal, sys
sys.path.insert(0, {repo!r})
from PySide6.QtWidgets import QApplication
from vaedesk.gui import MainWindow
app = QApplication([])
win = MainWindow(model="mnist-vae-2d")
win.show()
win.canvas.set_strokes([[[40, 40], [120, 60], [200, 200]], [[60, 200], [200, 60]]])
win.model_ready.connect(lambda _name: win.add_pin(1.0, 2.0))  # a pin is a point of the model shown
win.session_saved.connect(lambda _path: os.kill(os.getpid(), signal.SIGKILL) if win.workspace.pins() else None)
app.exec()
"""


@pytest.mark.slow
@pytest.mark.subprocess
def test_work_survives_a_killed_process(qtbot):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", SCRIPT.format(repo=str(REPO))], env=env, timeout=120,
                            capture_output=True, text=True)
    assert result.returncode == -9, result.stderr[-2000:]  # killed, not closed
    win, _ = open_window(qtbot)
    strokes = win.canvas.strokes()
    assert len(strokes) == 2
    np.testing.assert_allclose(strokes[0], [[40, 40], [120, 60], [200, 200]], atol=1e-3)
    assert [tuple(xy) for _, xy in win.plane.pins()] == [(1.0, 2.0)]
    win.close()


def _write_session(text: str):
    path = session_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _boxes(win, title):
    return [b for b in QApplication.topLevelWidgets() if isinstance(b, QMessageBox) and b.isVisible()
            and b.windowTitle() == title and b.parent() is win]


def test_an_unreadable_session_is_set_aside_with_a_message(qtbot):
    path = _write_session('{"format": "vaedesk-session", "version": 1, "pins": [[1, NaN]]')
    win, _ = open_window(qtbot)
    boxes = _boxes(win, "Session not restored")
    assert len(boxes) == 1 and "not valid JSON" in boxes[0].text()
    kept = path.with_name("session.damaged-1.json")
    assert kept.read_text(encoding="utf-8").endswith("NaN]]")  # the user's file, untouched
    _draw(qtbot, win, 3, 3)  # the app works, and starts a new session
    win.close()
    assert len(load_session().drawing.strokes) > 0


def test_a_damaged_drawing_is_left_out_and_the_rest_restored(qtbot):
    good = {"strokes": [[[40, 40], [120, 60], [200, 200]]], "pen_width": 2.5}
    text = json.dumps({"format": "vaedesk-session", "version": 1, "model": "mnist-vae-2d",
                       "drawing": {"strokes": [[[1, 1e308]]]},  # autosave could never write this back
                       "gallery": [good, {"strokes": [[[1, 2]]], "pen_width": 1e9}, {"strokes": [[[1, 2e6]]]}, good],
                       "pins": [[1, 2], [0, 1e308]]})
    path = _write_session(text)
    win, _ = open_window(qtbot)
    boxes = _boxes(win, "Session partly restored")
    assert len(boxes) == 1 and "4 part(s)" in boxes[0].text() and "pen width" in boxes[0].text()
    assert path.with_name("session.damaged-1.json").read_text(encoding="utf-8") == text  # kept as it was
    session = win.autosave.current_session()
    assert len(session.gallery) == 2 and session.drawing.is_empty()
    assert session.pins == [PinnedPoint("mnist-vae-2d", (1.0, 2.0))]  # an older file's pin: its model's point
    _draw(qtbot, win, 4, 5)
    assert win.autosave.save() and win.autosave.error is None
    win.close()
    assert load_session().problems == []


def test_a_failing_autosave_tells_the_user_and_closing_warns_of_the_loss(qtbot):
    win, _ = open_window(qtbot)
    path = session_path()
    path.unlink(missing_ok=True)
    path.mkdir(parents=True)  # a real failure: a folder where the file goes
    (path / "x").write_text("x")
    _draw(qtbot, win, 7, 1)
    qtbot.waitUntil(lambda: win.autosave.error is not None, timeout=5_000)
    assert len(_boxes(win, "Autosave failed")) == 1
    label = win.findChild(QLabel, "autosave_status")
    assert label.isVisible() and "Autosave failed" in label.text()
    _draw(qtbot, win, 1, 2)
    assert not win.autosave.save() and len(_boxes(win, "Autosave failed")) == 1  # said once
    win.settings.setValue("ask_on_close", False)  # a loss is announced whatever the setting
    seen: list[str] = []
    answer_close_question("Cancel", seen)
    assert win.confirm_close() is False
    assert "cannot be saved" in seen[0] and "will be lost" in seen[0] and "come back" not in seen[0]
    (path / "x").unlink()
    path.rmdir()
    assert win.autosave.save() and win.autosave.error is None and not label.isVisible()
    win.close()


def test_a_session_that_cannot_be_set_aside_is_never_overwritten(qtbot, monkeypatch):
    import vaedesk.gui.controllers.autosave

    path = _write_session("{damaged")
    monkeypatch.setattr(vaedesk.gui.controllers.autosave, "set_aside", lambda *a, **k: None)  # e.g. a read-only folder
    win, _ = open_window(qtbot)
    _draw(qtbot, win, 2, 2)
    assert not win.autosave.save() and "could not be set aside" in win.autosave.error
    win.close()
    assert path.read_text(encoding="utf-8") == "{damaged"


@pytest.mark.slow
def test_an_imported_picture_is_the_same_after_five_restarts(qtbot, tmp_path):
    image = Image.fromarray(np.pad(np.full((60, 20), 255, np.uint8), 40)).convert("L")  # white ink on black
    image.save(tmp_path / "one.png")
    win, _ = open_window(qtbot)
    assert win.open_file(tmp_path / "one.png")
    first = win.autosave.current_session().drawing.image
    win.close()
    for _ in range(5):
        win, _ = open_window(qtbot)
        assert np.array_equal(np.round(win.autosave.current_session().drawing.image, 4), np.round(first, 4))
        win.close()


HOSTILE = {
    "5,000-digit integer": '{"format": "vaedesk-session", "version": 1, "pins": [[' + "9" * 5000 + ', 0]]}',
    "nested 200,000 deep": '{"format": "vaedesk-session", "version": 1, "pins": ' + "[" * 200_000 + "]" * 200_000 + "}",
    "pen width 1e9": ('{"format": "vaedesk-session", "version": 1, '
                      '"gallery": [{"strokes": [[[1, 2]]], "pen_width": 1e9}]}'),
    "coordinate 2e6": '{"format": "vaedesk-session", "version": 1, "gallery": [{"strokes": [[[1, 2000000]]]}]}',
    "coordinate 1e308": '{"format": "vaedesk-session", "version": 1, "drawing": {"strokes": [[[1, 1e308]]]}}',
}


@pytest.mark.slow
@pytest.mark.subprocess
@pytest.mark.parametrize("name", HOSTILE)
def test_the_real_app_starts_whatever_the_session_file_holds(tmp_path, name):
    home = tmp_path / "home"
    home.mkdir()
    (home / "session.json").write_text(HOSTILE[name], encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "VAEDESK_HOME": str(home),
           "VAEDESK_SCREENSHOT": str(tmp_path / "shot.png")}
    result = subprocess.run([sys.executable, "-m", "vaedesk"], env=env, cwd=REPO, capture_output=True,
                            text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and (tmp_path / "shot.png").is_file()
    assert any(p.name.startswith("session.damaged-") for p in home.iterdir())  # the user's file is kept
    assert load_session(home / "session.json").problems == []  # and what was written reads back whole


def test_closing_with_unsaved_drawings_asks_first(qtbot, tmp_path):
    win, _ = open_window(qtbot)
    assert win.confirm_close()  # nothing drawn: no question
    _draw(qtbot, win, 5, 4)
    seen: list[str] = []
    answer_close_question("Cancel", seen)
    assert win.confirm_close() is False
    assert "1 drawing(s) not saved as files" in seen[0] and "come back" in seen[0]
    answer_close_question("Close", seen)
    assert win.confirm_close() is True
    assert win.save_drawing(tmp_path / "five.png")
    assert win.confirm_close()  # saved: no question
    win.close()
