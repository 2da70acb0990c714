"""Where a drawing landed: the training digits whose codes lie nearest to its own.

Given the neighbours' images and labels (found in the model process), shows them in order,
nearest first, with the vote of the first few ("lands among: 3 3 5 8 3 → 3"). Clicking a
digit, or choosing it with the arrow keys and Enter, reports its index.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from vaedesk.gui.accessible import named
from vaedesk.gui.plotting.style import PIN_SELECTED_RING
from vaedesk.gui.terms import explain
from vaedesk.gui.theme import mute
from vaedesk.gui.widgets.images import ImageStrip

__all__ = ["NO_NEIGHBOURS_TEXT", "NearestDigits", "vote"]

NO_NEIGHBOURS_TEXT = "Draw a digit to see the training digits it lands among."


def vote(labels: Sequence[str]) -> tuple[str, bool]:
    """The most common label and whether it was a tie (then the nearest of the tied wins)."""
    counts = Counter(labels)
    best = max(counts.values())
    tied = [label for label in labels if counts[label] == best]  # in order: nearest first
    return tied[0], len(set(tied)) > 1


class NearestDigits(QWidget):
    """The K nearest training digits with their labels and the vote of the first ``vote_k``.

    Signals:
        digit_clicked(index): the user clicked digit ``index`` (0 = nearest), or chose it
            with Left/Right and Enter/Space while the widget has focus.
    """

    digit_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("nearest_digits")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the strip's tiles take no focus
        self._current = 0
        self._labels: list[str] = []

        caption = QLabel("Training digits whose codes lie nearest to yours, nearest first.")
        caption.setObjectName("nearest_digits_caption")
        caption.setWordWrap(True)
        mute(caption, point_size=9)
        self._strip = ImageStrip(0, tile_size=32, item_name="Training digit")
        self._strip.setObjectName("nearest_digits_strip")
        named(self._strip, "Nearest training digits")
        named(self, "Nearest training digits")  # the focus is here; the description says which digit
        self._strip.clicked.connect(self._on_tile_clicked)
        self._vote = QLabel()
        self._vote.setObjectName("nearest_digits_vote")
        self._vote.setWordWrap(True)
        self._vote.setTextFormat(Qt.TextFormat.RichText)
        explain(self._vote, "knn5")  # the vote of the first five is a 5-NN vote
        self._vote_text = ""

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addWidget(caption)
        layout.addWidget(self._strip)
        layout.addWidget(self._vote)
        self.set_neighbours(None, None)

    # --- public API -----------------------------------------------------------------

    def set_neighbours(
        self,
        images: ArrayLike | None,
        labels: ArrayLike | None,
        vote_k: int = 5,
        names: Sequence[str] | None = None,
        message: str = NO_NEIGHBOURS_TEXT,
    ) -> None:
        """Show ``images`` (K, 28, 28), white ink on black, nearest first, captioned with
        ``labels`` (K,) (or ``names[label]``), and the vote of the first ``vote_k``.
        None shows ``message`` instead: a sentence inviting the user to draw, unless told
        what is being computed."""
        stack = None if images is None else np.asarray(images)
        if stack is None or labels is None or len(stack) == 0:
            self._strip.clear()
            self._labels = []
            self._set_vote(message, html.escape(message))
            self.update()
            return
        classes = np.asarray(labels).reshape(-1)
        if stack.ndim != 3 or len(classes) != len(stack):
            raise ValueError(f"expected K images (K, H, W) and K labels, got {stack.shape} and {classes.shape}")
        texts = [names[int(c)] if names is not None and 0 <= int(c) < len(names) else str(int(c)) for c in classes]
        self._labels = texts
        self._strip.set_images(list(stack), texts, [f"Training digit {i + 1}: {t}" for i, t in enumerate(texts)])
        self._current = min(self._current, len(texts) - 1)
        voters = texts[: max(1, int(vote_k))]
        winner, tie = vote(voters)
        tail = " (a tie: the nearest wins)" if tie else ""
        among = " ".join(voters)
        self._set_vote(
            f"Lands among: {among} → {winner}{tail}",
            f"Lands among: {html.escape(among)} → <b>{html.escape(winner)}</b>{tail}",
        )
        self.update()

    def vote_text(self) -> str:
        """The vote line as plain text, e.g. "Lands among: 3 3 5 8 3 → 3"."""
        return self._vote_text

    def _set_vote(self, plain: str, rich: str) -> None:
        self._vote_text = plain
        self._vote.setText(rich)
        self._describe()

    def _describe(self) -> None:
        """The accessible description: the digit the keyboard is on, and the vote."""
        if not self._labels:
            self.setAccessibleDescription(self._vote_text)
            return
        n, i = len(self._labels), min(self._current, len(self._labels) - 1)
        self.setAccessibleDescription(f"Digit {i + 1} of {n}, nearest first: {self._labels[i]}. "
                                      f"Left and Right choose a digit, Enter shows it on the plane. {self._vote_text}")

    def labels(self) -> list[str]:
        """The captions shown, nearest first."""
        return list(self._labels)

    def current_index(self) -> int | None:
        """The digit the keyboard is on (None when there are none)."""
        return self._current if self._labels else None

    # --- input ----------------------------------------------------------------------

    def _on_tile_clicked(self, index: int) -> None:
        self._current = index
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self._describe()
        self.update()
        self.digit_clicked.emit(index)

    def event(self, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and self._labels
                and event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Return, Qt.Key.Key_Enter,
                                    Qt.Key.Key_Space)):
            event.accept()  # its keys before the window's shortcuts (Space plays the morph)
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, n = event.key(), len(self._labels)
        if n and key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            step = 1 if key == Qt.Key.Key_Right else -1
            self._current = min(max(self._current + step, 0), n - 1)
            self._describe()
            self.update()
            event.accept()
        elif n and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.digit_clicked.emit(self._current)
            event.accept()
        else:
            super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.update()  # the ring appears
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.update()
        super().focusOutEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        # The keyboard's digit gets a ring in the gap around its tile (tiles paint no background).
        super().paintEvent(event)
        tiles = self._strip.tiles()
        if not self.hasFocus() or not tiles or self._current >= len(tiles):
            return
        tile = tiles[self._current]
        image = tile.image_rect()
        top_left = tile.mapTo(self, image.topLeft().toPoint())
        ring = QRectF(top_left.x(), top_left.y(), image.width(), image.height()).adjusted(-2, -2, 2, 2)
        painter = QPainter(self)
        painter.setPen(QPen(PIN_SELECTED_RING, 2.5))
        painter.drawRect(ring)
        painter.end()
