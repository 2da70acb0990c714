"""The drawing: canvas strokes into the workspace, the workspace's drawing onto the canvas,
each change encoded, and the posterior shown on the plane, in the readout and as its
samples' decodings; the gallery of kept drawings."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QStatusBar

from vaedesk.errors import VaedeskError
from vaedesk.gui.client.model_client import WorkerClient
from vaedesk.gui.controllers.model import ModelController
from vaedesk.gui.dialogs.messages import MessageBoxes
from vaedesk.gui.plane.widget import LatentPlane
from vaedesk.gui.widgets.images import ImageStrip
from vaedesk.gui.widgets.panels import ENCODING_TEXT, NO_DRAWING_TEXT, DrawPanel, PosteriorPanel, PreviewPanel
from vaedesk.insight.readout import describe_posterior, samples_note
from vaedesk.service.model_service import SAMPLE_COUNT
from vaedesk.service.protocol import Channel, DecodeResult, EncodeResult
from vaedesk.state.workspace import Workspace, WorkspaceFull

PLANE_DESCRIPTION = ("The test digits' codes by class, your drawing's posterior and your pins. "
                     "Click to pin a point, drag to move it, Delete removes the selected pin.")


class DrawingController(QObject):
    """``last_encode`` is the posterior shown (None: none); ``latest_encode_id`` the newest
    encoding asked for (0 while there is no drawing).

    ``posterior_shown(result)``: a new posterior is shown (an EncodeResult), or none (None);
    ``samples_shown(images)``: (1 + S, 28, 28), the shown posterior's mean and samples decoded;
    ``encoding(finished)``: a drawing was sent to the model, ``finished`` unless the pen is
    still moving.
    """

    posterior_shown = Signal(object)
    samples_shown = Signal(object)
    encoding = Signal(bool)

    def __init__(self, client: WorkerClient, workspace: Workspace, models: ModelController, draw: DrawPanel,
                 posterior: PosteriorPanel, preview: PreviewPanel, plane: LatentPlane, status: QStatusBar,
                 messages: MessageBoxes, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client, self.workspace, self.models = client, workspace, models
        self.canvas, self.input_view, self.recon_view = draw.canvas, draw.input_view, preview.recon_view
        self.readout, self.samples = posterior.readout, posterior.samples
        self.samples_note = posterior.samples_note
        self.gallery_strip: ImageStrip = preview.gallery_strip
        self.plane, self.status, self.messages = plane, status, messages
        self.last_encode: EncodeResult | None = None
        self.latest_encode_id = 0
        self._canvas_edit = False  # the workspace's drawing is changing because the user drew
        self.canvas.drawing_changed.connect(self._on_canvas_changed)
        self.canvas.limit_reached.connect(lambda message: status.showMessage(message, 10_000))
        draw.undo_button.clicked.connect(self.canvas.undo)
        draw.redo_button.clicked.connect(self.canvas.redo)
        draw.clear_button.clicked.connect(self.clear)
        draw.keep_button.clicked.connect(self.keep)
        posterior.resample_button.clicked.connect(self.resample)
        workspace.drawing_changed.connect(self._on_drawing_changed)
        workspace.gallery_changed.connect(self._show_gallery)
        self.gallery_strip.clicked.connect(workspace.take_from_gallery)
        client.subscribe(Channel.ENCODE, self._on_encoded, failed=self._model_error)
        client.subscribe(Channel.SAMPLES, self._show_samples,
                         failed=lambda message: status.showMessage(f"samples: {message}", 8000))
        client.worker.reference_ready.connect(self._on_reference_ready)

    def _model_error(self, message: str) -> None:
        self.status.showMessage(f"encode: {message}", 8000)
        self.messages.show("warning", "Model error", message)

    # -- the drawing -----------------------------------------------------------------------
    def _on_canvas_changed(self, strokes: list[np.ndarray]) -> None:
        self._canvas_edit = True
        try:
            self.workspace.set_strokes(strokes, self.canvas.model_pen_width())
        except VaedeskError as exc:  # cannot happen: the canvas keeps to the same limits
            self.status.showMessage(str(exc), 8000)
        finally:
            self._canvas_edit = False

    def _on_drawing_changed(self) -> None:
        if not self._canvas_edit:  # restored, taken from the gallery, imported or cleared
            drawing = self.workspace.drawing
            self._canvas_edit = True  # the canvas echoes it back; nothing new to take from it
            try:
                if drawing.strokes:
                    self.canvas.set_strokes(drawing.strokes)
                else:
                    self.canvas.clear()
            finally:
                self._canvas_edit = False
        self.encode_current()

    def show_model(self) -> None:
        """A model (or view) was just shown: the posterior, its readout and its decodings by
        the last one are gone; the drawing is encoded afresh, and says so until it is."""
        if not self.workspace.drawing.is_empty():
            self._show_encoding()
        self.encode_current()

    def _show_encoding(self) -> None:
        self.last_encode = None
        self.plane.set_posterior(None)
        self.recon_view.set_image(None)
        self.samples.set_images([None] * SAMPLE_COUNT)
        self.samples_note.setText("")
        self.readout.setText(ENCODING_TEXT)
        self.posterior_shown.emit(None)

    def encode_current(self, new_samples: bool = False) -> None:
        if self.models.info is None:
            return
        drawing = self.workspace.drawing
        if drawing.is_empty():
            self.client.forget(Channel.ENCODE)
            self.latest_encode_id = 0
            self._show_no_drawing()
            return
        self.latest_encode_id = self.client.encode(drawing, new_samples=new_samples)
        self.encoding.emit(not self.canvas.is_drawing())

    def _on_reference_ready(self, generation: int) -> None:
        info = self.models.info
        if info is not None and generation == info.generation:
            self.encode_current()  # now with its explanation

    def _show_no_drawing(self) -> None:
        self.last_encode = None
        self.plane.set_posterior(None)
        self.plane.setAccessibleDescription(PLANE_DESCRIPTION)
        self.input_view.set_image(None)
        self.recon_view.set_image(None)
        self.samples.set_images([None] * SAMPLE_COUNT)
        self.samples_note.setText("")
        self.readout.setText(NO_DRAWING_TEXT)
        self.posterior_shown.emit(None)

    def _on_encoded(self, result: EncodeResult) -> None:
        self.last_encode = result
        self.input_view.set_image(result.input)
        samples_xy = result.samples_xy if len(result.samples_xy) else None
        self.plane.set_posterior(result.mean_xy, result.cov_xy, samples_xy)
        x, y = result.mean_xy
        self.plane.setAccessibleDescription(f"Your drawing lands at ({x:+.2f}, {y:+.2f}). {PLANE_DESCRIPTION}")
        self.readout.setText(describe_posterior(result.posterior))
        self.posterior_shown.emit(result)

    def _show_samples(self, result: DecodeResult) -> None:
        """The decodings of the shown posterior: its mean, then its samples."""
        self.recon_view.set_image(result.images[0])
        samples = list(result.images[1:])
        if samples:  # numbered as the samples are in the plane's loupe
            self.samples.set_images(samples, captions=[str(k) for k in range(1, len(samples) + 1)])
        else:
            self.samples.set_images([None] * SAMPLE_COUNT)
        shown = self.last_encode
        self.samples_note.setText(samples_note(shown.posterior, result.images[1:]) if shown is not None else "")
        self.samples_shown.emit(result.images)

    def clear(self) -> None:
        self.workspace.clear()

    def resample(self) -> None:
        info = self.models.info
        if info is not None and info.kind == "vae" and not self.workspace.drawing.is_empty():
            self.encode_current(new_samples=True)

    # -- the gallery -----------------------------------------------------------------------
    def keep(self) -> int | None:
        """Keep the current drawing (or imported image) in the gallery; returns its index."""
        if self.last_encode is None:
            self.status.showMessage("Nothing to keep: draw a digit first", 4000)
            return None
        try:
            index = self.workspace.keep(self.last_encode.input)
        except WorkspaceFull as exc:
            text = str(exc)
            self.messages.show("warning", "Gallery full", f"{text[:1].upper()}{text[1:]}.")
            return None
        except VaedeskError as exc:
            self.status.showMessage(str(exc), 4000)
            return None
        self.status.showMessage(f"Kept drawing #{index + 1} in the gallery", 4000)
        return index

    def _show_gallery(self) -> None:
        inputs = self.workspace.gallery_inputs()
        self.gallery_strip.set_images(inputs, [f"#{i + 1}" for i in range(len(inputs))])
