"""Autosave and restore of the user's work through the real window, including after a kill."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from vaedesk.session import load_session, session_path
from vaedesk.sketches import draw_digit

from tests.gui.helpers import answer_close_question, draw_strokes
from tests.conftest import REPO
from tests.gui.test_window import open_window, wait_for_final_posterior


def _draw(qtbot, win, digit, seed):
    draw_strokes(qtbot, win.canvas, draw_digit(digit, np.random.default_rng(seed)))
    return wait_for_final_posterior(qtbot, win)


def test_drawing_gallery_and_pins_come_back_after_a_restart(qtbot):
    win, _ = open_window(qtbot)
    _draw(qtbot, win, 7, 1)
    win.keep_drawing()
    _draw(qtbot, win, 0, 2)  # replaces the strokes: the current drawing is a 0 on top of the 7
    win.add_pin(0.5, -0.5)
    win.add_pin(-1.0, 1.5)
    with qtbot.waitSignal(win.session_saved, timeout=5_000):
        pass  # autosaved shortly after the last change, without closing
    strokes, gallery_input = win.canvas.strokes(), win._gallery[0]["input"]
    win.close()

    again, _ = open_window(qtbot)
    restored = again.canvas.strokes()
    assert len(restored) == len(strokes)
    for a, b in zip(restored, strokes):
        np.testing.assert_allclose(a, b, atol=1e-3)
    assert len(again._gallery) == 1
    np.testing.assert_allclose(again._gallery[0]["input"], gallery_input, atol=1e-3)
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
win.add_pin(1.0, 2.0)
win.session_saved.connect(lambda _path: os.kill(os.getpid(), signal.SIGKILL))
app.exec()
"""


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


def test_a_damaged_session_is_set_aside_with_a_message(qtbot):
    path = session_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"format": "vaedesk-session", "version": 1, "pins": [[1, NaN]]}', encoding="utf-8")
    win, _ = open_window(qtbot)
    boxes = [b for b in win._messages if b.windowTitle() == "Session not restored"]
    assert len(boxes) == 1 and "pin 1 must be a finite number" in boxes[0].text()
    kept = path.with_name("session.damaged-1.json")
    assert kept.read_text(encoding="utf-8").endswith("NaN]]}")  # the user's file, untouched
    _draw(qtbot, win, 3, 3)  # the app works, and starts a new session
    win.close()
    assert len(load_session().drawing.strokes) > 0


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
