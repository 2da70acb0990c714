"""The insight tabs: the posterior lens and its decodings, the loss breakdown and the
nearest training digits (explanations asked of the model while the pen moves, and a tighter
estimate once it lifts), and the per-dimension traversals of what the Dimensions tab edits."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QStatusBar, QWidget

from vaedesk.errors import VaedeskError
from vaedesk.gui.client.model_client import WorkerClient
from vaedesk.gui.controllers.drawing import DrawingController
from vaedesk.gui.controllers.model import ModelController
from vaedesk.gui.controllers.subject import Subject
from vaedesk.gui.dialogs.messages import MessageBoxes
from vaedesk.gui.plane.widget import LatentPlane
from vaedesk.gui.widgets.insight_tabs import DISTRIBUTION_TAB, InsightTabs
from vaedesk.service.protocol import Channel, DecodeResult, EncodeResult, InsightResult, LensRequest, TraversalResult
from vaedesk.state.workspace import Workspace

if TYPE_CHECKING:
    from vaedesk.insight.report import DrawingReport

# While the pen moves, the lens' decodings and the explanation follow at this interval (each
# costs a few to 15 ms on the worker); a finished drawing gets them at once.
INSIGHT_INTERVAL_MS = 250
LENS_GRID = 5  # the posterior lens shows LENS_GRID x LENS_GRID decodings


class InsightController(QObject):
    """``last_report`` is the explanation (DrawingReport) of the drawing shown, once computed.

    ``neighbour_chosen(image, caption)``: the user clicked a nearest training digit (its
    place is marked on the plane; the caller previews it)."""

    neighbour_chosen = Signal(object, str)

    def __init__(self, client: WorkerClient, workspace: Workspace, models: ModelController,
                 drawing: DrawingController, subject: Subject, tabs: InsightTabs, plane: LatentPlane,
                 status: QStatusBar, messages: MessageBoxes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client, self.workspace, self.models = client, workspace, models
        self.drawing, self.subject = drawing, subject
        self.tabs, self.plane, self.status, self.messages = tabs, plane, status, messages
        self.lens, self.loss_view, self.nearest_view = tabs.lens, tabs.loss_view, tabs.nearest_view
        self.traversal_view = tabs.traversal_view
        self.last_report: DrawingReport | None = None
        self._neighbours: InsightResult | None = None
        self._timer = QTimer(self, singleShot=True, interval=INSIGHT_INTERVAL_MS)
        self._timer.timeout.connect(self._request_insight)
        drawing.encoding.connect(self._on_encoding)
        drawing.posterior_shown.connect(self._on_posterior_shown)
        subject.changed.connect(self.request_traversal)
        tabs.currentChanged.connect(self._on_tab_changed)
        self.lens.view_changed.connect(self._on_lens_view_changed)
        self.nearest_view.digit_clicked.connect(self._show_neighbour)
        self.traversal_view.latent_edited.connect(self._on_latent_edited)
        self.traversal_view.save_requested.connect(self.save_traversal)
        say = lambda message: status.showMessage(message, 8000)  # noqa: E731  (the posterior itself is still shown)
        for channel in (Channel.INSIGHT, Channel.LIKELIHOOD):
            client.subscribe(channel, self._on_explained, failed=say)
        client.subscribe(Channel.LENS, self._on_lens_decoded, failed=say)
        client.subscribe(Channel.TRAVERSAL, self._on_traversal,
                         failed=lambda message: status.showMessage(f"traversal: {message}", 8000))
        client.subscribe(Channel.LATENT, self._on_latent_decoded,
                         failed=lambda message: status.showMessage(f"latent: {message}", 8000))

    def show_model(self) -> None:
        info = self.models.info
        assert info is not None  # shown: a model has loaded
        self.traversal_view.clear()
        self.lens.set_axis_labels(*info.view.axis_labels)
        self.request_traversal()

    # -- explanations ----------------------------------------------------------------------
    def _on_encoding(self, finished: bool) -> None:
        if finished:  # pen lifted, imported, restored: the slower, tighter estimate too
            self._timer.stop()
            self.client.likelihood(self.workspace.drawing)
        else:
            self.client.forget(Channel.LIKELIHOOD)  # of a drawing the pen is still changing
            if not self._timer.isActive():
                self._timer.start()

    def _request_insight(self) -> None:
        """While drawing: the explanation and the lens' decodings of the drawing so far."""
        if self.models.info is not None and not self.workspace.drawing.is_empty():
            self.client.insight(self.workspace.drawing)
            self._request_lens()

    def _on_posterior_shown(self, result: EncodeResult | None) -> None:
        if result is None:
            self.last_report = None
            self._neighbours = None
            self.lens.set_none()
            self.plane.set_lens_rect(None)
            self._show_explanation()
        elif self.lens.isVisible():  # else shown when its tab is
            self._show_lens()

    def _on_explained(self, result: InsightResult) -> None:
        if self.drawing.last_encode is None:
            return  # the drawing was cleared meanwhile
        self.last_report = result.report
        self._neighbours = result
        self._show_explanation()

    def _show_explanation(self) -> None:
        """The explanation in the views the user can see (hidden ones catch up when shown:
        redrawing them costs the GUI thread while the pen moves)."""
        if self.loss_view.isVisible():
            self.loss_view.set_report(self.last_report)
        shown, info = self._neighbours, self.models.info
        if self.nearest_view.isVisible():
            if shown is None or self.last_report is None:
                self.nearest_view.set_neighbours(None, None)
            else:
                self.nearest_view.set_neighbours(shown.neighbour_images, shown.report.neighbour_labels,
                                                 names=info.class_names if info else None)

    def _show_neighbour(self, index: int) -> None:
        shown = self._neighbours
        if shown is None or index >= len(shown.neighbour_images):
            return
        xy, label = shown.neighbour_xy[index], shown.report.neighbour_labels[index]
        self.plane.set_hover_marker(xy)
        number = int(shown.report.neighbours[index])
        self.neighbour_chosen.emit(shown.neighbour_images[index], f"Training digit #{number} (label {label})")

    def _on_tab_changed(self, index: int) -> None:
        if index == DISTRIBUTION_TAB:
            self._show_lens()
        else:  # the outline on the plane marks what the lens shows
            self.plane.set_lens_rect(None)
        self._show_explanation()
        self.request_traversal()

    # -- the lens --------------------------------------------------------------------------
    def _show_lens(self) -> None:
        result = self.drawing.last_encode
        if result is None:
            self.lens.set_none()
        elif result.cov_xy is None:
            self.lens.set_autoencoder()
        else:
            samples = result.samples_xy if len(result.samples_xy) else None
            self.lens.set_posterior(result.mean_xy, result.cov_xy, samples)
            if not self.drawing.canvas.is_drawing():  # while drawing, _request_insight asks for it
                self._request_lens()

    def _on_lens_view_changed(self, rect) -> None:
        self.plane.set_lens_rect(rect)
        if not self.drawing.canvas.is_drawing():
            self._request_lens()

    def _request_lens(self) -> None:
        result = self.drawing.last_encode
        if result is None or result.cov_xy is None or not self.lens.isVisible() or self.lens.view_rect() is None:
            return
        points, extent = self.lens.grid_points(LENS_GRID)
        self.client.lens(LensRequest(result.posterior.mean[0], result.mean_xy, points, LENS_GRID, extent))

    def _on_lens_decoded(self, result: DecodeResult) -> None:
        if self.lens.view_rect() is not None:
            self.lens.set_grid(result.tile, (*result.x_range, *result.y_range))

    # -- traversals ------------------------------------------------------------------------
    def request_traversal(self) -> None:
        """Sweep the dimensions of what the Dimensions tab edits (the drawing, or the chosen
        pin), when the tab is shown: the sweep costs a decoding per row and step."""
        if self.models.info is None or not self.traversal_view.isVisible():
            return
        pin = self.subject.current_pin()
        if pin is not None:
            self.client.traversal(latent=np.array(pin.latent, np.float64))
        elif self.drawing.last_encode is not None:
            self.client.traversal(latent=self.drawing.last_encode.posterior.mean[0])
        else:
            self.client.forget(Channel.TRAVERSAL)
            self.traversal_view.clear()

    def _on_traversal(self, result: TraversalResult) -> None:
        shown = self.traversal_view.traversal
        if shown is not None and np.array_equal(shown.origin, result.traversal.origin):
            return  # the same latent again (asked twice while drawing): keep the user's slider edits
        self.traversal_view.set_traversal(result.traversal, self.subject.name())
        self.client.decode_latent(result.traversal.origin)

    def _on_latent_edited(self, latent: np.ndarray) -> None:
        if self.models.info is not None:
            self.client.decode_latent(latent)

    def _on_latent_decoded(self, result: DecodeResult) -> None:
        if self.traversal_view.isVisible():  # else the Arithmetic tab's
            self.traversal_view.set_edited_image(result.images[0])
            self.plane.set_hover_marker(result.points[0])

    def save_traversal(self, fmt: str, path: str | None = None) -> bool:
        """Save the shown traversal as a GIF or a PNG grid (asks where unless ``path``)."""
        from vaedesk.latent.traversal import save_traversal

        traversal = self.traversal_view.traversal
        if traversal is None:
            return False
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self.tabs.window(), "Save traversal", f"traversal.{fmt}",
                                                  f"{fmt.upper()} (*.{fmt})")
            if not path:
                return False
        try:
            written = save_traversal(traversal, path)
        except VaedeskError as exc:
            self.messages.show("critical", "Could not save the traversal", str(exc))
            return False
        self.status.showMessage(f"Saved {written}", 6000)
        return True
