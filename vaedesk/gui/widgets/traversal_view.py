"""What each latent dimension does: one row per dimension, swept over ±3 prior σ.

Shows a :class:`vaedesk.latent.traversal.Traversal` (computed in the model process): each row is one
dimension, most informative first (its average KL to the prior in nats beside it; a
dimension the KL term has switched off is marked *inactive*), with the decodings as it
moves while the others stay. A slider per row edits that coordinate of the current latent;
the window decodes the edited latent live.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from vaedesk.gui.accessible import named
from vaedesk.gui.terms import explain
from vaedesk.gui.widgets.images import DigitView, ImageStrip
from vaedesk.latent.traversal import Traversal

__all__ = ["NO_TRAVERSAL_TEXT", "TraversalView"]

NO_TRAVERSAL_TEXT = "Draw a digit or select a pin to see what each latent dimension changes."
SLIDER_SCALE = 100  # slider units per prior standard deviation
SLIDER_SPAN = 3.0  # ± prior standard deviations


class TraversalView(QWidget):
    """Rows of per-dimension traversals with a slider each (``objectName`` ``traversals``).

    Signals:
        latent_edited(latent): a slider moved; ``latent`` (D,) is the origin with every
            slider's value.
        save_requested(fmt): the user asked to save the traversal as ``"gif"`` or ``"png"``.
    """

    latent_edited = Signal(object)
    save_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("traversals")
        self._traversal: Traversal | None = None
        self._latent: np.ndarray | None = None
        self._rows: list[tuple[QLabel, ImageStrip, QSlider]] = []

        self._caption = QLabel(NO_TRAVERSAL_TEXT)
        self._caption.setObjectName("traversals_caption")
        self._caption.setWordWrap(True)
        explain(self._caption, "active_unit")  # it says which dimensions are inactive
        self._grid = QGridLayout()
        self._grid.setHorizontalSpacing(6)
        self._grid.setVerticalSpacing(2)
        self.edited_view = DigitView(caption="Edited", hint_size=84)
        self.edited_view.setObjectName("traversals_edited")
        named(self.edited_view, "Edited digit", "What the model decodes with the sliders' values")
        self.reset_button = QPushButton("Reset sliders", objectName="traversals_reset")
        self.reset_button.clicked.connect(self.reset)
        named(self.reset_button, "Reset sliders", "Put every dimension's slider back at its origin")
        self.save_gif_button = QPushButton("Save GIF…", objectName="traversals_save_gif")
        self.save_gif_button.clicked.connect(lambda: self.save_requested.emit("gif"))
        named(self.save_gif_button, "Save traversal as GIF", "Save the rows as an animated GIF")
        self.save_png_button = QPushButton("Save PNG…", objectName="traversals_save_png")
        self.save_png_button.clicked.connect(lambda: self.save_requested.emit("png"))
        named(self.save_png_button, "Save traversal as PNG grid", "Save the rows as one PNG image")
        buttons = QHBoxLayout()
        for button in (self.reset_button, self.save_gif_button, self.save_png_button):
            button.setEnabled(False)
            buttons.addWidget(button)
        top = QHBoxLayout()
        top.addWidget(self.edited_view)
        top.addWidget(self._caption, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(buttons)
        layout.addLayout(self._grid)
        layout.addStretch(1)

    # ------------------------------------------------------------------ state
    @property
    def traversal(self) -> Traversal | None:
        return self._traversal

    def latent(self) -> np.ndarray | None:
        """The origin with the sliders' edits (a copy)."""
        return None if self._latent is None else self._latent.copy()

    def row_labels(self) -> list[str]:
        return [label.text() for label, _strip, _slider in self._rows]

    def sliders(self) -> list[QSlider]:
        return [slider for _label, _strip, slider in self._rows]

    def clear(self) -> None:
        self._traversal, self._latent = None, None
        self._caption.setText(NO_TRAVERSAL_TEXT)
        self._show_rows(0)
        self.edited_view.set_image(None)
        for button in (self.reset_button, self.save_gif_button, self.save_png_button):
            button.setEnabled(False)

    def show_message(self, text: str) -> None:
        """No rows: ``text`` says what is being computed, or why there are none."""
        self.clear()
        self._caption.setText(text)

    def caption(self) -> str:
        """The sentence above the rows: what they sweep, or why there are none."""
        return self._caption.text()

    def set_traversal(self, traversal: Traversal, what: str = "your drawing") -> None:
        """Show ``traversal`` (from ``what``, e.g. "pin 2") and put the sliders at its origin."""
        self._traversal = traversal
        self._latent = np.asarray(traversal.origin, np.float64).copy()
        inactive = int((~traversal.active).sum())
        self._caption.setText(
            f"Each row moves one latent dimension of {what} from −3σ to +3σ of the prior while the others "
            f"stay; most informative first (average KL to the prior over the test set)."
            + (f" {inactive} inactive: the KL term has pulled them onto the prior, so they change nothing."
               if inactive else ""))
        self._show_rows(len(traversal.order))
        for row, d in enumerate(traversal.order):
            label, strip, slider = self._rows[row]
            active = bool(traversal.active[d])
            label.setText(f"z{d + 1}  {traversal.information[d]:.2f} nats" + ("" if active else "  inactive"))
            label.setEnabled(active)
            state = f"{traversal.information[d]:.2f} nats" + ("" if active else ", inactive")
            named(slider, f"Dimension z{d + 1}", f"Moves z{d + 1} from −3σ to +3σ of the prior; {state}")
            named(strip, f"Dimension z{d + 1} sweep", f"Decodings as z{d + 1} moves from −3σ to +3σ")
            strip.set_images(list(traversal.images[row]))
            slider.blockSignals(True)
            slider.setValue(int(round(np.clip(self._latent[d], -SLIDER_SPAN, SLIDER_SPAN) * SLIDER_SCALE)))
            slider.setProperty("dimension", int(d))
            slider.blockSignals(False)
        for button in (self.reset_button, self.save_gif_button, self.save_png_button):
            button.setEnabled(True)

    def set_edited_image(self, image: np.ndarray | None) -> None:
        self.edited_view.set_image(image)

    def reset(self) -> None:
        """Sliders back to the origin (and the edited latent with them)."""
        if self._traversal is not None:
            self.set_traversal(self._traversal)
            self.latent_edited.emit(self.latent())

    # ------------------------------------------------------------------ rows
    def _show_rows(self, count: int) -> None:
        while len(self._rows) < count:
            row = len(self._rows)
            label = QLabel(objectName=f"traversals_label_{row}")
            strip = named(ImageStrip(0, tile_size=26, item_name="Step"), f"Dimension sweep {row + 1}")
            strip.setObjectName(f"traversals_strip_{row}")
            slider = QSlider(Qt.Orientation.Horizontal, objectName=f"traversals_slider_{row}")
            slider.setRange(int(-SLIDER_SPAN * SLIDER_SCALE), int(SLIDER_SPAN * SLIDER_SCALE))
            slider.setMinimumWidth(90)
            named(slider, f"Dimension {row + 1}", "Moves one latent dimension")  # named by its dimension when shown
            slider.valueChanged.connect(lambda value, s=slider: self._on_slider(s, value))
            self._grid.addWidget(label, 2 * row, 0, 1, 2)
            self._grid.addWidget(strip, 2 * row + 1, 0)
            self._grid.addWidget(slider, 2 * row + 1, 1)
            self._rows.append((label, strip, slider))
        for row, widgets in enumerate(self._rows):
            for widget in widgets:
                widget.setVisible(row < count)

    def _on_slider(self, slider: QSlider, value: int) -> None:
        dimension = slider.property("dimension")
        if self._latent is None or dimension is None:
            return
        self._latent[int(dimension)] = value / SLIDER_SCALE
        self.latent_edited.emit(self.latent())
