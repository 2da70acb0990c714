"""The questions asked before the window closes: during a training run, and with drawings
never saved to a file (objectName ``close_question``)."""

from __future__ import annotations

import enum

from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from vaedesk.gui.accessible import named


class CloseAnswer(enum.Enum):
    CLOSE = "close"
    SAVE = "save"  # save the drawing first
    CANCEL = "cancel"


def ask_stop_training(parent: QWidget) -> bool:
    """Whether to stop the training run and close."""
    box = QMessageBox(QMessageBox.Icon.Question, "Close vaedesk",
                      "A model is still training. Closing stops it; the last complete epoch is kept "
                      "in your model folder.", parent=parent)
    box.setObjectName("close_question")
    stop = box.addButton("Stop training and close", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is stop


def ask_close(parent: QWidget, text: str, at_risk: bool) -> tuple[CloseAnswer, bool]:
    """Ask ``text`` with Close, Save drawing… and Cancel; returns the answer and whether
    "Don't ask again" was ticked (offered only when the work is not ``at_risk``: a warning
    of lost work is never switched off)."""
    box = QMessageBox(QMessageBox.Icon.Question, "Close vaedesk", text, parent=parent)
    box.setObjectName("close_question")
    close = box.addButton("Close", QMessageBox.ButtonRole.AcceptRole)
    save = box.addButton("Save drawing…", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(close)
    never = named(QCheckBox("Don't ask again"), "Don't ask again", "Close without this question from now on")
    if not at_risk:
        box.setCheckBox(never)
    box.exec()
    clicked = box.clickedButton()
    answer = CloseAnswer.CLOSE if clicked is close else CloseAnswer.SAVE if clicked is save else CloseAnswer.CANCEL
    return answer, never.isChecked()
