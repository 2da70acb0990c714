"""A list whose selected items the user removes with Delete or Backspace.

The keys are read in ``keyPressEvent`` rather than bound as a ``QKeySequence.Delete``
shortcut: on X11 the standard Delete binding also holds Ctrl+D, which would then be an
ambiguous shortcut beside the window's own Ctrl+D whenever the list has the focus.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QListWidget

__all__ = ["RemovableList"]

_REMOVE_KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)


class RemovableList(QListWidget):
    """A ``QListWidget`` that emits ``remove_requested()`` when Delete or Backspace (without
    a modifier) is pressed on it while an item is selected."""

    remove_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802  (Qt's name)
        plain = not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if plain and event.key() in _REMOVE_KEYS and self.selectedItems():
            self.remove_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)
