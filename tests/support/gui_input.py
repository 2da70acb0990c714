"""Helpers shared by the GUI tests: replay drawings on the canvas as real input events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QLabel, QWidget


def send_mouse(
    widget: QWidget,
    kind: QEvent.Type,
    pos: QPointF,
    button: Qt.MouseButton = Qt.MouseButton.LeftButton,
    buttons: Qt.MouseButton = Qt.MouseButton.LeftButton,
) -> bool:
    """Deliver one mouse event at a (sub-pixel) widget position; return whether it was accepted.

    Qt 6's QTest.mouseMove does not carry the pressed button, so moves are built by hand.
    """
    event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def draw_strokes(qtbot: Any, canvas: Any, strokes: Sequence[Any]) -> int:
    """Draw canvas-space ``strokes`` on ``canvas`` with mouse press / move / release events.

    Each stroke is pressed at its first point, moved (left button held) through the rest
    and released at its last point.  Returns the number of move events sent.
    """
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    moves = 0
    for stroke in strokes:
        points = [canvas.from_canvas(float(x), float(y)) for x, y in np.asarray(stroke, dtype=float)]
        if not points:
            continue
        send_mouse(canvas, QEvent.Type.MouseButtonPress, points[0], left, left)
        for pos in points[1:]:
            send_mouse(canvas, QEvent.Type.MouseMove, pos, none, left)
            moves += 1
        send_mouse(canvas, QEvent.Type.MouseButtonRelease, points[-1], left, none)
    qtbot.wait(1)  # let queued repaints run, as a real event loop would between strokes
    return moves


def answer_close_question(button_text: str, seen: list[str]) -> None:
    """Click ``button_text`` in the window's modal close question once it shows (its text goes to ``seen``)."""
    def answer() -> None:
        box = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "close_question" and w.isVisible())
        seen.append(box.text())
        next(b for b in box.buttons() if b.text() == button_text).click()

    QTimer.singleShot(200, answer)


def click_first_link(qtbot: Any, label: QLabel) -> None:
    """Move the mouse along the label's first line until it points at a link, and click there."""
    y = label.contentsRect().top() + label.fontMetrics().height() // 2
    for x in range(label.contentsRect().left(), label.contentsRect().right(), 2):
        qtbot.mouseMove(label, QPoint(x, y))
        if label.cursor().shape() == Qt.CursorShape.PointingHandCursor:
            qtbot.mouseClick(label, Qt.MouseButton.LeftButton, pos=QPoint(x + 2, y))
            return
    raise AssertionError(f"no link on the first line of {label.objectName()}")
