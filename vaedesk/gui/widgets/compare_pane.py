"""One side of *Compare models*: a model's latent plane with the drawing's posterior, the
decoding under the cursor, decoded prior draws, a morph, and the line that says what the
prior draws measured. It only shows what it is given (:mod:`vaedesk.gui.dialogs.compare`
asks the models)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QVBoxLayout, QWidget

from vaedesk.gui.accessible import named
from vaedesk.gui.plane.widget import LatentPlane
from vaedesk.gui.plotting.live_text import LiveText
from vaedesk.gui.plotting.style import small_font
from vaedesk.gui.widgets.images import DigitView, ImageStrip
from vaedesk.insight.comparison import AGREE, NEIGHBOURS, Votes
from vaedesk.service.protocol import ModelInfo

__all__ = ["ComparePane", "draw_captions", "placement_line"]

DRAW_COUNT = 8
MORPH_FRAMES = 8


def draw_captions(votes: Votes, shown: int) -> list[str]:
    """Under each decoded prior draw: the class the model's own 5-NN vote gives its decoding
    when the vote is confident, "?" when it is not."""
    return [str(int(votes.vote[i])) if votes.confident[i] else "?" for i in range(shown)]


def placement_line(votes: Votes, test_share: float, kind: str) -> str:
    """What a model's prior draws measured, in one line."""
    what = "an autoencoder: no prior in its loss" if kind == "ae" else "a VAE: its KL term pulls codes toward N(0, I)"
    return (f"Of {len(votes.vote)} draws from N(0, I), {votes.share:.0%} decode to what its own {NEIGHBOURS}-NN "
            f"vote names confidently ({AGREE} of {NEIGHBOURS} agree; its test digits: {test_share:.0%}): {what}.")


class ComparePane(QWidget):
    """The model chooser (``chooser``), plane (``plane``), cursor decoding (``preview``),
    prior draws (``draws``), morph (``morph``) and measured line (``line``) of one side."""

    def __init__(self, side: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"compare_pane_{side}")
        self.chooser = named(QComboBox(), f"Model {side.upper()}", "The model shown on this side")
        self.chooser.setObjectName(f"compare_model_{side}")
        self.title = QLabel("Loading…")
        self.plane = LatentPlane()
        self.plane.setObjectName(f"compare_plane_{side}")
        self.plane.setMinimumSize(300, 280)
        self.preview = named(DigitView("Hover over a plane", smooth=True, hint_size=96), "Decoding at the cursor")
        self.draws = named(ImageStrip(DRAW_COUNT, tile_size=40, item_name="Prior draw"), "Prior draws",
                           "The same draws ε ~ N(0, I) decoded by this model, each captioned with the class "
                           "its own 5-NN vote gives the decoding, or ? without a confident vote")
        self.morph = named(ImageStrip(MORPH_FRAMES, tile_size=40, item_name="Morph frame"), "Morph",
                           "A straight path in this model's latent space between the codes of the same two digits")
        self.line = named(LiveText("Sample the prior to measure where its draws land."), "What the draws measured")
        self.line.setObjectName(f"compare_line_{side}")
        self._draw_marks = pg.ScatterPlotItem(size=9, symbol="x", pen=pg.mkPen(200, 30, 30, width=2))
        self._draw_labels: list[pg.TextItem] = []
        self.plane.addItem(self._draw_marks)
        layout = QVBoxLayout(self)
        layout.addWidget(self.chooser)
        layout.addWidget(self.title)
        layout.addWidget(self.plane, 1)
        rows = QGridLayout()
        rows.addWidget(QLabel("At the cursor"), 0, 0)
        rows.addWidget(self.preview, 0, 1)
        rows.addWidget(QLabel("Prior draws"), 1, 0)
        rows.addWidget(self.draws, 1, 1)
        rows.addWidget(QLabel("Morph"), 2, 0)
        rows.addWidget(self.morph, 2, 1)
        rows.setColumnStretch(1, 1)
        layout.addLayout(rows)
        layout.addWidget(self.line)

    def show_model(self, info: ModelInfo, description: str) -> None:
        self.title.setText(description)
        self.plane.set_scatter(info.scatter_xy, info.scatter_labels, info.class_names)
        self.plane.show_prior(info.view.to_plane(np.zeros((1, info.latent_dim)))[0])
        self.plane.set_axis_labels(*info.view.axis_labels)
        self.plane.set_posterior(None)
        self.plane.set_path(None)
        self.show_draws(None)
        self.preview.set_image(None)
        self.morph.set_images([None] * MORPH_FRAMES)

    def show_draws(self, images: np.ndarray | None, xy: np.ndarray | None = None,
                   votes: Votes | None = None, test_share: float = 0.0, kind: str = "vae") -> None:
        """Decoded prior draws, numbered on the plane as in the strip; None clears them."""
        for label in self._draw_labels:
            self.plane.removeItem(label)
        self._draw_labels = []
        if images is None or xy is None or votes is None:
            self._draw_marks.setData([], [])
            self.draws.set_images([None] * DRAW_COUNT)
            return
        self._draw_marks.setData(xy[:, 0], xy[:, 1])
        for number, (x, y) in enumerate(xy, start=1):
            label = pg.TextItem(str(number), color=(200, 30, 30), anchor=(-0.1, 1.0))
            label.setFont(small_font(8))
            label.setPos(float(x), float(y))
            self.plane.addItem(label)
            self._draw_labels.append(label)
        captions = [f"{number}: {text}" for number, text in enumerate(draw_captions(votes, len(images)), start=1)]
        self.draws.set_images(list(images), captions=captions)
        self.line.setText(placement_line(votes, test_share, kind))

    def draw_points(self) -> np.ndarray:
        """Where the decoded prior draws are marked on the plane, (N, 2)."""
        x, y = self._draw_marks.getData()
        return np.column_stack([x, y]) if x is not None else np.zeros((0, 2))
