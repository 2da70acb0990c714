"""LiveText: a readout that repaints without re-laying out the window when its height holds."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from vaedesk.gui.plotting.live_text import LiveText


class _LayoutRequests(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


@pytest.fixture
def readout(qtbot):
    box = QWidget()
    layout = QVBoxLayout(box)
    text = LiveText("z1 μ=+0.10 σ=0.20\nKL = 1.00 nats")
    layout.addWidget(text)
    layout.addStretch(1)  # the text gets the height it asks for, no more
    qtbot.addWidget(box)
    box.resize(300, 200)
    box.show()
    qtbot.waitExposed(box)
    requests = _LayoutRequests()
    box.installEventFilter(requests)
    QApplication.processEvents()
    requests.count = 0
    return text, box, requests


def test_new_numbers_of_the_same_height_do_not_re_lay_out_the_window(qtbot, readout):
    text, _box, requests = readout
    for k in range(20):
        text.setText(f"z1 μ=+0.{k:02d} σ=0.20\nKL = {k}.00 nats")
        QApplication.processEvents()
    assert requests.count == 0
    assert text.text() == "z1 μ=+0.19 σ=0.20\nKL = 19.00 nats"


def test_a_taller_text_asks_for_room_and_gets_it(qtbot, readout):
    text, _box, requests = readout
    before = text.height()
    text.setText("\n".join(f"line {k}" for k in range(8)))
    qtbot.waitUntil(lambda: requests.count > 0)
    qtbot.waitUntil(lambda: text.height() > before)
    assert text.height() >= text.heightForWidth(text.width())


def test_long_prose_wraps_to_the_width(qtbot, readout):
    text, _box, _requests = readout
    one_line = text.fontMetrics().height()
    text.setText("A plain autoencoder encodes a point, not a distribution: no variance, nothing to sample, "
                 "no KL pull toward N(0, I).")
    assert text.heightForWidth(120) > 2 * one_line
    assert text.heightForWidth(120) > text.heightForWidth(2000)


def test_right_click_copies_the_text(qtbot, readout):
    text, _box, _requests = readout
    (copy,) = [action for action in text.actions() if action.text() == "Copy"]
    copy.trigger()
    assert QApplication.clipboard().text() == text.text()
