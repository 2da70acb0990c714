"""The decoder preview at rest: when nothing on the plane is hovered it shows the drawing's
reconstruction by the shown model, or says that nothing is hovered, and its caption says which.

A hovered point or a chosen pin is put in the preview by :class:`~.pins.PinsController`, a
clicked training digit by the window, each with a caption of its own; when the mouse leaves
the plane, or another model is shown, the preview comes back here, so that it never goes on
showing a point the mouse has left or a decoding by a model no longer shown."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject

from vaedesk.gui.controllers.drawing import DrawingController
from vaedesk.gui.controllers.pins import PinsController
from vaedesk.gui.plane.widget import LatentPlane
from vaedesk.gui.widgets.panels import NOTHING_HOVERED_TEXT, RECONSTRUCTION_CAPTION, PreviewPanel
from vaedesk.service.protocol import EncodeResult
from vaedesk.state.workspace import Workspace


class DecoderPreview(QObject):
    """``resting`` is True while the preview shows the drawing's reconstruction (or nothing),
    False while it shows what the pins' controller or the window put there."""

    def __init__(self, preview: PreviewPanel, plane: LatentPlane, workspace: Workspace, drawing: DrawingController,
                 pins: PinsController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view, self.workspace = preview.preview_view, workspace
        self.resting = True
        self._reconstruction: np.ndarray | None = None  # of the posterior shown
        plane.hover_left.connect(self.show_drawing)
        pins.preview_changed.connect(self._on_other_shown)
        drawing.posterior_shown.connect(self._on_posterior_shown)
        drawing.samples_shown.connect(self._on_samples_shown)
        workspace.drawing_changed.connect(self._on_drawing_changed)
        self.show_drawing()

    def show_drawing(self) -> None:
        """Back to the drawing: its reconstruction, "encoding…" while the shown model encodes
        it, or a sentence saying that nothing is hovered when there is no drawing."""
        self.resting = True
        if self._reconstruction is not None:
            self.view.set_image(self._reconstruction)
            self.view.set_caption(RECONSTRUCTION_CAPTION)
        else:
            self.view.set_image(None)
            drawn = not self.workspace.drawing.is_empty()
            self.view.set_caption(f"{RECONSTRUCTION_CAPTION}: encoding…" if drawn else NOTHING_HOVERED_TEXT)

    def _on_other_shown(self, _image: np.ndarray) -> None:
        self.resting = False

    def _on_posterior_shown(self, result: EncodeResult | None) -> None:
        if result is None:  # no drawing, or a model just shown encodes it afresh
            self._reconstruction = None
            if self.resting:
                self.show_drawing()

    def _on_drawing_changed(self) -> None:
        if self.resting and self._reconstruction is None:  # a first stroke: "encoding…"
            self.show_drawing()

    def _on_samples_shown(self, images: np.ndarray) -> None:
        self._reconstruction = np.asarray(images[0])
        if self.resting:
            self.show_drawing()
