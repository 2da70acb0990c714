"""A text readout that changes at every stroke without re-laying out the window."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QAction, QGuiApplication, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

_FLAGS = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap


class LiveText(QWidget):
    """Word-wrapped text, like a QLabel, for numbers that change many times a second.

    QLabel.setText asks every layout up to the window to run again, at every stroke; this
    asks only when the text needs a different height,
    and otherwise just repaints. Right-click copies the text.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._height = -1  # the height the layout was last told
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        copy = QAction("Copy", self)
        copy.triggered.connect(lambda: QGuiApplication.clipboard().setText(self._text))
        self.addAction(copy)
        self.setText(text)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802  (QLabel's name, so the two are interchangeable)
        if text == self._text:
            return
        self._text = text
        self.setAccessibleDescription(text)
        height = self.heightForWidth(self.width())
        if height != self._height:
            self._height = height
            self.updateGeometry()
        self.update()

    # --- size -----------------------------------------------------------------------

    def _text_height(self, width: int) -> int:
        box = self.fontMetrics().boundingRect(QRect(0, 0, max(width, 1), 100_000), _FLAGS, self._text)
        return box.height()

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._text_height(width)

    def sizeHint(self) -> QSize:  # noqa: N802
        metrics = self.fontMetrics()
        width = max((metrics.horizontalAdvance(line) for line in self._text.split("\n")), default=0)
        width = min(width, 40 * metrics.averageCharWidth())  # long prose wraps instead
        return QSize(width, self._text_height(width))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(10 * self.fontMetrics().averageCharWidth(), self.fontMetrics().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        height = self.heightForWidth(event.size().width())
        if height != self._height:  # a new width wraps the text differently
            self._height = height
            self.updateGeometry()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().windowText().color())
        painter.drawText(self.rect(), _FLAGS, self._text)
        painter.end()
