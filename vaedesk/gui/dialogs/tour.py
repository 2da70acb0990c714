"""A guided tour: a few steps, each a title, one or two plain sentences and the widget it
talks about (outlined while the step is shown), with Back/Next from the mouse or keyboard.

:class:`TourPanel` knows nothing of VAEs; :func:`vae_steps` writes the seed idea's steps
from what the window shows for the user's own drawing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRect, Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPen, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from vaedesk.gui.accessible import named
from vaedesk.insight.readout import dimensions_text

if TYPE_CHECKING:
    from vaedesk.gui.window import MainWindow

_HIGHLIGHT = QColor("#e6550d")


@dataclass
class TourStep:
    title: str
    text: Callable[[], str]  # written when the step is shown, from what is on screen then
    target: Callable[[], QWidget]  # the widget the step talks about
    enter: Callable[[], None] | None = None  # e.g. bring the target's tab to the front


class _Outline(QWidget):
    """A frame drawn over another widget of the window; clicks pass through it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._window = parent
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setObjectName("tour_outline")
        self.hide()

    def cover(self, target: QWidget | None) -> None:
        if target is None or not target.isVisible():
            self.hide()
            return
        top_left = target.mapTo(self._window, target.rect().topLeft())
        self.setGeometry(QRect(top_left, target.size()).adjusted(-3, -3, 3, 3))
        self.show()
        self.raise_()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(_HIGHLIGHT, 3))
        painter.drawRoundedRect(self.rect().adjusted(2, 2, -2, -2), 6, 6)


class TourPanel(QFrame):
    """Shows one step at a time; ``finished`` when the user closes it or passes the last."""

    finished = Signal()

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self.setObjectName("tour")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.title = QLabel()
        bold = self.title.font()  # a font, not a style sheet, so that the title follows the theme
        bold.setBold(True)
        self.title.setFont(bold)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.back_button, self.next_button = QPushButton("◀ &Back"), QPushButton("&Next ▶")
        self.close_button = QPushButton("&Close tour")
        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.next)
        self.close_button.clicked.connect(self.stop)
        named(self.back_button, "Previous tour step", "Back to the tour's previous step (Left arrow)")
        named(self.next_button, "Next tour step", "On to the tour's next step (Right arrow)")
        named(self.close_button, "Close tour", "End the guided tour (Escape)")
        named(self, "Guided tour")
        buttons = QHBoxLayout()
        buttons.addWidget(self.close_button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        self._column = QVBoxLayout(self)
        self._column.addWidget(self.title)
        self._column.addWidget(self.text, 1)
        self._column.addLayout(buttons)
        for keys, slot in ((Qt.Key.Key_Right, self.next), (Qt.Key.Key_Left, self.back),
                           (QKeySequence.StandardKey.Cancel, self.stop)):
            # Made without the slot: PySide6 drops ``context`` when a callable is passed too.
            shortcut = QShortcut(QKeySequence(keys), self, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self._outline = _Outline(window)
        self._steps: list[TourStep] = []
        self.index = -1
        window.installEventFilter(self)  # keep the panel and the outline in place on resize
        self.hide()

    def start(self, steps: list[TourStep]) -> None:
        self._steps = list(steps)
        self.show()
        self._show(0)
        self.next_button.setFocus()

    def is_running(self) -> bool:
        return self.isVisible()

    def next(self) -> None:
        if self.index + 1 < len(self._steps):
            self._show(self.index + 1)
        else:
            self.stop()

    def back(self) -> None:
        if self.index > 0:
            self._show(self.index - 1)

    def stop(self) -> None:
        if self.isVisible():
            self.hide()
            self._outline.hide()
            self.index = -1
            self.finished.emit()

    def target(self) -> QWidget | None:
        """The widget the current step outlines."""
        return self._steps[self.index].target() if 0 <= self.index < len(self._steps) else None

    def _show(self, index: int) -> None:
        self.index = index
        step = self._steps[index]
        if step.enter is not None:
            step.enter()
        self.title.setText(f"{index + 1}/{len(self._steps)}  {step.title}")
        self.text.setText(step.text())
        self.setAccessibleDescription(f"Step {index + 1} of {len(self._steps)}: {step.title}. {self.text.text()}")
        self.back_button.setEnabled(index > 0)
        self.next_button.setText("&Finish" if index == len(self._steps) - 1 else "&Next ▶")
        self._place()  # the text's height changes from step to step
        self._outline.cover(step.target())
        self.raise_()

    def _place(self) -> None:
        window = self._window
        width = min(560, window.width() - 40)
        self.setFixedWidth(width)
        self.setFixedHeight(self._column.heightForWidth(width) if self._column.hasHeightForWidth()
                            else self.sizeHint().height())
        self.move((window.width() - width) // 2, window.height() - self.height() - 40)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
            self._outline.cover(self.target())
        return False


def _vector(values: np.ndarray, limit: int = 4) -> str:
    shown = ", ".join(f"{v:+.2f}" for v in values[:limit])
    return f"({shown}{', …' if len(values) > limit else ''})"


def vae_steps(win: MainWindow) -> list[TourStep]:
    """The seed idea on the user's own drawing: encode, sample, decode, loss."""

    def shown():
        return win.last_encode

    def encode_text() -> str:
        result = shown()
        if result is None:
            return "Draw a digit first: the tour follows your own drawing."
        posterior = result.posterior
        if posterior.logvar is None:
            return (f"This plain autoencoder turns your drawing into one point, z = {_vector(posterior.mean[0])}. "
                    "A VAE's encoder returns a distribution instead: switch to a VAE to see it.")
        return (f"The encoder reads your 28×28 drawing and returns a distribution, not a point: a mean μ and "
                f"a spread σ in each dimension, {dimensions_text(posterior.mean[0], posterior.std[0], limit=4)}. "
                "The lens frames it: the star is μ, the ellipses are 1σ, 2σ and 3σ.")

    def sample_text() -> str:
        result = shown()
        if result is None or result.posterior.logvar is None or not len(result.samples_z):
            return "A VAE decodes a sample of its distribution; there is none to show here."
        mean, std, z = result.posterior.mean[0], result.posterior.std[0], result.samples_z[0]
        eps = (z - mean) / std
        where = ("sample 1 in the loupe, which enlarges the distribution: at the plane's scale it is too small to "
                 "see" if win.plane.loupe.is_shown() else "sample 1 on the plane")
        return (f"To decode, the VAE samples a point of that distribution: z = μ + σ·ε, with noise ε ~ N(0, I). "
                f"Here ε = {_vector(eps)}, so z = {_vector(z)}: {where}.")

    def mark_sample() -> None:
        result = shown()
        if result is not None and len(result.samples_xy):
            win.plane.set_hover_marker(result.samples_xy[0])

    def decode_text() -> str:
        if shown() is None:
            return "The decoder turns a latent point into pixel probabilities."
        return ("The decoder turns z into pixel probabilities: the first of these images is that sample's "
                "decoding. Samples of one distribution decode a little differently; their spread is the "
                "model's uncertainty about your drawing.")

    def loss_text() -> str:
        report = win.last_report
        if report is None:
            return "The loss adds a reconstruction term and a KL term; draw a digit to see yours."
        if win.model_info is not None and win.model_info.kind == "ae":
            return (f"A plain autoencoder's loss is the reconstruction alone, {report.recon_nats:.1f} nats: the "
                    "heatmap shows where the decoding misses your pixels. It has no KL term and no −ELBO: nothing "
                    "pulls its codes toward a prior, which is why its latent space has gaps.")
        return (f"Training makes two terms small. Reconstruction, {report.recon_nats:.1f} nats: the heatmap shows "
                f"where the decoding misses your pixels. KL, {report.kl_nats:.1f} nats: the bars show how far "
                f"q(z|x) is from the prior N(0, I), per dimension. Their sum, {report.neg_elbo_nats:.1f} nats, "
                "is the −ELBO.")

    return [
        TourStep("Encode", encode_text, lambda: win.lens, win.show_insight),
        TourStep("Sample", sample_text, lambda: win.plane, mark_sample),
        TourStep("Decode", decode_text, lambda: win.samples),
        TourStep("Loss", loss_text, lambda: win.loss_view, lambda: win.show_insight(win.loss_view)),
    ]
