"""*View → Compare models*: two models side by side on the same drawing, the same prior
draws and the same morph (objectName ``compare_view``).

Each side has a model process of its own (a :class:`WorkerClient`), so either model can be
any of the user's; the window asks both the same questions and shows each answer on its
side: the current drawing's posterior (live, as the user draws in the main window), the
decoding of the latent point under the cursor (in both, where their latent sizes match),
the same draws ε ~ N(0, I) with where they land, and a straight morph between the codes of
the drawing and of a test digit.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from vaedesk.data.datasets import Split
from vaedesk.errors import VaedeskError
from vaedesk.gui.accessible import named
from vaedesk.gui.client.model_client import WorkerClient
from vaedesk.gui.widgets.compare_pane import DRAW_COUNT, MORPH_FRAMES, ComparePane
from vaedesk.insight.comparison import default_pair
from vaedesk.service.protocol import (
    Channel,
    DecodeResult,
    EncodeResult,
    ModelInfo,
    MorphRequest,
    PriorDrawsResult,
)
from vaedesk.state.session import Drawing
from vaedesk.state.workspace import ResolvedEndpoint, Workspace

__all__ = ["CompareWindow", "model_facts"]

log = logging.getLogger(__name__)

INTRO = ("The same drawing, the same draws from the prior N(0, I) and the same morph, decoded by two models. "
         "Draw in the main window; hover either plane to decode that latent point in both.")


def model_facts(name: str) -> tuple[str, str, int] | None:
    """(name, kind, latent size) from a model's card, without loading its weights; None when
    the card cannot be read (the model is then not offered)."""
    from vaedesk.model.card import read_card
    from vaedesk.model.catalog import model_files, resolve_model_path

    try:
        card = read_card(model_files(resolve_model_path(name))[1])
        return name, str(card["kind"]), int(card["latent_dim"])
    except (VaedeskError, KeyError, TypeError, ValueError) as exc:
        log.warning("not offered for comparison: %s (%s)", name, exc)
        return None


def _describe(info: ModelInfo) -> str:
    from vaedesk.model.summary import model_summary

    return f"{info.name}: {model_summary(info.card)}"


class CompareWindow(QWidget):
    """Two :class:`ComparePane` s, ``panes`` (A, B), and their model processes, ``clients``."""

    def __init__(self, workspace: Workspace, models: Sequence[str], current: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("compare_view")
        self.setWindowTitle("Compare models — vaedesk")
        self.workspace = workspace
        facts = [f for f in (model_facts(name) for name in models) if f is not None]
        pair = default_pair(current, facts)
        self.panes = (ComparePane("a"), ComparePane("b"))
        self.clients = (WorkerClient(self), WorkerClient(self))
        self.infos: list[ModelInfo | None] = [None, None]
        self.seed = random.randrange(1 << 31)
        self._test: Split | None = None  # MNIST's first test images, read on the first morph

        self.sample_button = named(QPushButton("Sample the prior"), "Sample the prior",
                                   "Draw new ε ~ N(0, I) and decode the same draws with both models")
        self.sample_button.setObjectName("compare_sample_prior")
        self.morph_target = named(QComboBox(), "Morph target", "The test digit the morph goes to")
        self.morph_target.addItems([str(d) for d in range(10)])
        self.morph_target.setCurrentIndex(8)
        self.morph_button = named(QPushButton("Morph"), "Morph",
                                  "Decode a straight path from your drawing's code to a test digit's, in both models")
        self.morph_button.setObjectName("compare_morph")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setObjectName("compare_status")

        controls = QHBoxLayout()
        controls.addWidget(self.sample_button)
        controls.addSpacing(16)
        controls.addWidget(QLabel("Morph your drawing to a test"))
        controls.addWidget(self.morph_target)
        controls.addWidget(self.morph_button)
        controls.addStretch(1)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        sides = QHBoxLayout()
        for pane in self.panes:
            sides.addWidget(pane, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(controls)
        layout.addLayout(sides, 1)
        layout.addWidget(self.status)

        for side, (pane, client, name) in enumerate(zip(self.panes, self.clients, pair, strict=True)):
            pane.chooser.addItems([f[0] for f in facts])
            pane.chooser.setCurrentText(name)
            pane.chooser.currentTextChanged.connect(lambda text, s=side: self.choose(s, text))
            self._wire(side, pane, client)
            client.load_model(name, "pca")
        self.sample_button.clicked.connect(self.sample_prior)
        self.morph_button.clicked.connect(self.morph)
        workspace.drawing_changed.connect(self.encode_drawing)
        self.resize(1180, 860)

    def _wire(self, side: int, pane: ComparePane, client: WorkerClient) -> None:
        def failed(what: str):
            return lambda message: self.status.setText(f"{pane.chooser.currentText()}, {what}: {message}")

        client.subscribe(Channel.LOAD, lambda info: self._on_loaded(side, info), failed("could not load"))
        client.subscribe(Channel.ENCODE, lambda result: self._on_encoded(side, result), failed("drawing"))
        client.subscribe(Channel.HOVER, lambda result: self._on_point(side, result, "at the cursor"),
                         failed("cursor"))
        client.subscribe(Channel.LATENT, lambda result: self._on_point(side, result, "the same latent point"),
                         failed("cursor"))
        client.subscribe(Channel.PRIOR_DRAWS, lambda result: self._on_draws(side, result), failed("prior draws"))
        client.subscribe(Channel.MORPH, lambda result: self._on_morph(side, result), failed("morph"))
        pane.plane.hovered.connect(lambda x, y: self.hover(side, x, y))

    # -- requests ------------------------------------------------------------------------

    def choose(self, side: int, name: str) -> None:
        """Show model ``name`` on ``side`` (0: A, 1: B)."""
        if name:
            self.infos[side] = None
            self.panes[side].title.setText(f"Loading {name}…")
            self.clients[side].load_model(name, "pca")

    def encode_drawing(self) -> None:
        drawing = self.workspace.drawing
        for side, client in enumerate(self.clients):
            if self.infos[side] is None:
                continue
            if drawing.is_empty():
                client.forget(Channel.ENCODE)
                self.panes[side].plane.set_posterior(None)
            else:
                client.encode(drawing)

    def hover(self, side: int, x: float, y: float) -> None:
        """Decode the plane point under the cursor on ``side``, and the same latent point on the
        other side where the latent sizes match."""
        here, there = self.infos[side], self.infos[1 - side]
        if here is None:
            return
        self.clients[side].hover(x, y)
        other = self.panes[1 - side]
        if there is None:
            return
        if there.latent_dim != here.latent_dim:
            other.preview.set_image(None)
            other.preview.set_caption("latent sizes differ: no shared point")
            return
        latent = here.view.to_latent(np.array([[x, y]], np.float64))[0]
        self.clients[1 - side].decode_latent(latent)

    def sample_prior(self) -> None:
        """New draws ε ~ N(0, I), the same for both models (of one latent size)."""
        self.seed = random.randrange(1 << 31)
        for side, client in enumerate(self.clients):
            if self.infos[side] is not None:
                client.prior_draws(self.seed, DRAW_COUNT)

    def morph(self) -> None:
        """A straight path from the drawing's code to the first test digit of the chosen class."""
        drawing = self.workspace.drawing
        if drawing.is_empty():
            self.status.setText("Draw a digit in the main window first: the morph starts from your drawing.")
            return
        target = self._test_digit(int(self.morph_target.currentText()))
        if target is None:
            return
        request = MorphRequest((ResolvedEndpoint(drawing=drawing), ResolvedEndpoint(drawing=Drawing(image=target))),
                               MORPH_FRAMES, "linear", "linear")
        self.status.setText("")
        for side, client in enumerate(self.clients):
            if self.infos[side] is not None:
                client.morph_preview(request)

    def _test_digit(self, digit: int) -> np.ndarray | None:
        """The first MNIST test image of ``digit`` (the test images read once per window)."""
        from vaedesk.data.datasets import load_split

        if self._test is None:
            try:
                self._test = load_split("test", None, 1000, as_uint8=True)
            except VaedeskError as exc:
                self.status.setText(f"The test digits could not be read: {exc}")
                return None
        test = self._test
        return test.images[int(np.flatnonzero(test.labels == digit)[0])].astype(np.float32) / np.float32(255)

    # -- results ---------------------------------------------------------------------------

    def _on_loaded(self, side: int, info: ModelInfo) -> None:
        self.infos[side] = info
        self.panes[side].show_model(info, _describe(info))
        self.status.setText("")
        self._same_scale()
        if not self.workspace.drawing.is_empty():  # first: the drawing is what the user watches
            self.clients[side].encode(self.workspace.drawing)
        self.clients[side].prior_draws(self.seed, DRAW_COUNT)

    def _same_scale(self) -> None:
        """Both planes over the same square: the two latent spaces at one scale."""
        shown = [info for info in self.infos if info is not None]
        points = np.concatenate([info.scatter_xy for info in shown])
        lo, hi = np.percentile(points, 0.5, axis=0), np.percentile(points, 99.5, axis=0)
        lo, hi = np.minimum(lo, -3.2), np.maximum(hi, 3.2)  # the prior's 3σ circle too
        centre, half = (lo + hi) / 2, float((hi - lo).max()) / 2 * 1.05
        for pane in self.panes:
            pane.plane.getViewBox().setRange(xRange=(centre[0] - half, centre[0] + half),
                                             yRange=(centre[1] - half, centre[1] + half), padding=0.0)

    def _on_encoded(self, side: int, result: EncodeResult) -> None:
        samples = result.samples_xy if len(result.samples_xy) else None
        self.panes[side].plane.set_posterior(result.mean_xy, result.cov_xy, samples)

    def _on_point(self, side: int, result: DecodeResult, caption: str) -> None:
        pane = self.panes[side]
        pane.preview.set_image(result.images[0])
        pane.preview.set_caption(caption)
        pane.plane.set_hover_marker(result.points[0])

    def _on_draws(self, side: int, result: PriorDrawsResult) -> None:
        info = self.infos[side]
        self.panes[side].show_draws(result.images, result.xy, result.votes, result.test_share,
                                    info.kind if info else "vae")

    def _on_morph(self, side: int, result: DecodeResult) -> None:
        pane = self.panes[side]
        pane.morph.set_images(list(result.images))
        pane.plane.set_path(result.points)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.workspace.drawing_changed.disconnect(self.encode_drawing)
        for client in self.clients:
            client.stop()
        super().closeEvent(event)
