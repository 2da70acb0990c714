"""The banner across the top of the latent plane while a view is being fitted: it says that the
plane still shows the old view, what the fit is doing and for how long, and offers Cancel."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from vaedesk.gui.accessible import named


class ViewFitBanner(QFrame):
    """Shown over the top of its parent (the plane) from :meth:`show_progress` until
    :meth:`finish`; ``cancel_requested`` when the user presses Cancel."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("view_progress")
        named(self, "View being fitted", "The plane still shows the old view until the new one is fitted")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.ToolTipBase)
        self.setForegroundRole(QPalette.ColorRole.ToolTipText)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        self.label = QLabel()
        self.label.setObjectName("view_progress_text")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.bar = named(QProgressBar(), "Fit progress")
        self.bar.setObjectName("view_progress_bar")
        self.bar.setFixedWidth(90)
        self.bar.setTextVisible(False)
        self.cancel_button = named(QPushButton("Cancel"), "Cancel the fit", "Stop fitting the new view and keep "
                                   "the one shown")
        self.cancel_button.setObjectName("view_progress_cancel")
        self.cancel_button.clicked.connect(self._on_cancel)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self._old = self._new = self._stage = ""
        self._fraction: float | None = None
        self._clock = QElapsedTimer()
        self._tick = QTimer(self, interval=1000)
        self._tick.timeout.connect(self._refresh)
        parent.installEventFilter(self)
        self.hide()

    def show_progress(self, old_view: str, new_view: str, stage: str, fraction: float | None) -> None:
        """The plane shows ``old_view`` while ``new_view`` is fitted, now at ``stage`` (done to
        ``fraction``, or None when unknown)."""
        if not self.isVisible():
            self._clock.start()
            self._tick.start()
            self.cancel_button.setEnabled(True)
        self._old, self._new, self._stage, self._fraction = old_view, new_view, stage, fraction
        if fraction is None:
            self.bar.setRange(0, 0)  # busy
        else:
            self.bar.setRange(0, 100)
            self.bar.setValue(round(100 * fraction))
        self._place()
        self.show()
        self.raise_()
        self._refresh()
        self._place()

    def finish(self) -> None:
        """The new view came, or the fit was cancelled or failed: nothing to mark any more."""
        self._tick.stop()
        self.hide()

    def text(self) -> str:
        return self.label.text()

    def _on_cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self._stage, self._fraction = "cancelling", None
        self._refresh()
        self.cancel_requested.emit()

    def _refresh(self) -> None:
        seconds = self._clock.elapsed() // 1000 if self._clock.isValid() else 0
        elapsed = f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"
        done = "" if self._fraction is None else f" {self._fraction:.0%}"
        self.label.setText(f"Still the {self._old} view — fitting the {self._new} view: {self._stage}{done} · "
                           f"{elapsed}")

    def _place(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            width = max(200, parent.width() - 16)
            height = self.heightForWidth(width) if self.hasHeightForWidth() else -1  # the text wraps
            self.setGeometry(8, 8, width, max(height, self.sizeHint().height()))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False
