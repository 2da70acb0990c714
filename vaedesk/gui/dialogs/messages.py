"""The app's message boxes: non-blocking (the app keeps running behind them), each said
once while it is open, and every warning written to the log for a bug report. A file
written is said in the status bar instead (:func:`show_saved`): it needs no answer."""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QStatusBar, QWidget

log = logging.getLogger(__name__)
SAVED_MS = 8000  # how long the status bar says a file was written


def show_saved(status: QStatusBar, path: str | os.PathLike[str]) -> None:
    """Say that ``path`` (a file, or a folder of frames) was written, as every save and
    export of the window says it: "Saved PATH" in the status bar."""
    status.showMessage(f"Saved {os.fspath(path)}", SAVED_MS)


_ICONS = {"information": QMessageBox.Icon.Information, "warning": QMessageBox.Icon.Warning,
          "critical": QMessageBox.Icon.Critical}


class MessageBoxes(QObject):
    """Message boxes over ``parent``; ``error_shown(text)`` fires for each warning or error shown."""

    error_shown = Signal(str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self._open: list[QMessageBox] = []

    def show(self, kind: str, title: str, text: str) -> QMessageBox:
        """Show a message box of ``kind`` ("information", "warning" or "critical")."""
        for open_box in self._open:  # a failure repeated on every stroke is said once
            if open_box.windowTitle() == title and open_box.text() == text:
                return open_box
        box = QMessageBox(_ICONS[kind], title, text, QMessageBox.StandardButton.Ok, self._parent)
        box.setTextFormat(Qt.TextFormat.PlainText)  # file names and card text are never markup
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.finished.connect(lambda _=0, b=box: self._open.remove(b) if b in self._open else None)
        self._open.append(box)
        box.show()
        if kind != "information":
            log.warning("%s: %s", title, " ".join(text.split()))  # what the user was told, for a bug report
            self.error_shown.emit(text)
        return box

    def open_boxes(self) -> list[QMessageBox]:
        """The message boxes open now, oldest first."""
        return list(self._open)

    def close_all(self) -> None:
        for box in list(self._open):
            box.close()
