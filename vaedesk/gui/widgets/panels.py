"""The window's panels, built and named here and wired by the controllers: the drawing
panel, the posterior readout and the decoder preview with the pins and the gallery."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout

from vaedesk.gui.accessible import named
from vaedesk.gui.plotting.live_text import LiveText
from vaedesk.gui.terms import explain
from vaedesk.gui.widgets.canvas import DrawingCanvas
from vaedesk.gui.widgets.images import DigitView, ImageStrip

NO_DRAWING_TEXT = "Draw a digit to see its posterior q(z|x)."
ENCODING_TEXT = "Encoding your drawing…"
# What the decoder preview shows when the mouse is not over the plane (its caption says which).
NOTHING_HOVERED_TEXT = "Nothing hovered: hover over the plane to decode"
RECONSTRUCTION_CAPTION = "Your drawing's reconstruction"


class DrawPanel(QGroupBox):
    """The canvas, the pen's width, Undo, Redo, Clear and Keep, and the model's input."""

    def __init__(self) -> None:
        super().__init__("Draw")
        self.canvas = named(DrawingCanvas(), "Drawing canvas",
                            "Draw a digit with the mouse or a pen; the model encodes it as you draw")
        self.pen_slider = QSlider(Qt.Orientation.Horizontal)
        self.pen_slider.setRange(50, 250)
        self.pen_slider.setValue(100)
        self.pen_slider.setToolTip("Pen width")
        named(self.pen_slider, "Pen width", "Width of the pen on the canvas, in percent of the usual width")
        self.input_view = named(DigitView("Model input 28×28", hint_size=84), "Model input",
                                "Your drawing as the model sees it: 28 by 28 pixels")
        self.undo_button, self.redo_button = QPushButton("Undo"), QPushButton("Redo")
        self.clear_button, self.keep_button = QPushButton("Clear"), QPushButton("Keep")
        self.keep_button.setToolTip("Keep this drawing in the gallery (for morphs)")
        named(self.undo_button, "Undo", "Undo the last stroke")
        named(self.redo_button, "Redo", "Redo the stroke undone last")
        named(self.clear_button, "Clear drawing", "Clear the canvas")
        named(self.keep_button, "Keep drawing")
        layout = QVBoxLayout(self)
        layout.addWidget(self.canvas, 1)
        pen_row = QHBoxLayout()
        pen_row.addWidget(QLabel("Pen"))
        pen_row.addWidget(self.pen_slider, 1)
        for button in (self.undo_button, self.redo_button, self.clear_button, self.keep_button):
            pen_row.addWidget(button)
        layout.addLayout(pen_row)
        self.input_view.setMaximumHeight(130)
        layout.addWidget(self.input_view)
        self.pen_slider.valueChanged.connect(lambda value: self.canvas.set_pen_scale(value / 100))

    def set_pen_scale(self, scale: float) -> None:
        self.pen_slider.setValue(round(100 * scale))


class PosteriorPanel(QGroupBox):
    """The posterior's readout, its samples' decodings and Resample."""

    def __init__(self, sample_count: int) -> None:
        super().__init__("Posterior q(z|x)")
        # Not a QLabel: its every setText re-laid out the whole window, at every stroke.
        self.readout = LiveText(NO_DRAWING_TEXT)
        # A font, not a style sheet: a label with a style sheet would keep its colours across a theme change.
        self.readout.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        named(explain(self.readout, "posterior"), "Posterior readout",
              "The mean and spread of your drawing's code, and its KL")
        self.samples = ImageStrip(sample_count, tile_size=44, item_name="Sample")
        self.samples.setToolTip("Decodings of samples z ~ q(z|x), drawn as small circles on the plane")
        named(self.samples, "Posterior samples")
        self.resample_button = named(QPushButton("Resample"), "Resample",
                                     "Draw new samples from your drawing's posterior q(z|x)")
        # Why the samples look alike (or do not): the spread the loupe on the plane shows.
        self.samples_note = named(LiveText(""), "Samples note")
        layout = QVBoxLayout(self)
        layout.addWidget(self.readout)
        sample_row = QHBoxLayout()
        sample_row.addWidget(self.samples, 1)
        sample_row.addWidget(self.resample_button)
        layout.addLayout(sample_row)
        layout.addWidget(self.samples_note)


class PreviewPanel(QGroupBox):
    """The decoder preview (objectName ``preview``) beside the reconstruction, the pins'
    decodings and the gallery of kept drawings."""

    def __init__(self) -> None:
        super().__init__("Decoder preview")
        self.setObjectName("preview")
        self.preview_view = DigitView(NOTHING_HOVERED_TEXT, smooth=True, hint_size=160)
        named(self.preview_view, "Decoder preview")  # its description follows what it shows (the caption)
        self.recon_view = named(DigitView("Reconstruction", hint_size=84), "Reconstruction",
                                "The decoding of your drawing's posterior mean")
        self.pin_strip = ImageStrip(0, tile_size=44, keyboard=True, removable=True, item_name="Pin")
        self.pin_strip.setToolTip("Pinned points: click the plane to pin, drag to move, right-click to remove")
        named(self.pin_strip, "Pins", "Your pinned points, decoded. Arrow keys choose one, Enter previews it "
                                      "and makes it what the Dimensions and Arithmetic tabs edit, Delete removes it")
        self.gallery_strip = ImageStrip(0, tile_size=44, keyboard=True, item_name="Kept drawing")
        self.gallery_strip.setToolTip("Kept drawings: click one to draw on it again")
        named(self.gallery_strip, "Gallery", "Your kept drawings. Arrow keys choose one, Enter draws on it again")
        layout = QVBoxLayout(self)
        decoded = QHBoxLayout()
        decoded.addWidget(self.preview_view, 2)
        decoded.addWidget(self.recon_view, 1, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(decoded, 1)
        # Says how many pins of other models are kept (they are shown with their own model).
        self.pins_label = QLabel("Pins")
        layout.addWidget(self.pins_label)
        layout.addWidget(self.pin_strip)
        layout.addWidget(QLabel("Gallery"))
        layout.addWidget(self.gallery_strip)
