"""The insight tabs: the posterior lens and its decodings, the loss breakdown and the
nearest training digits (explanations asked of the model while the pen moves, and a tighter
estimate once it lifts), and the per-dimension traversals of what the Dimensions tab edits.

Each view shows a result of the shown model for the current drawing, or says that it is being
computed, or invites the user to draw: when another model is shown or the drawing is encoded
afresh, what they showed is dropped at once (:meth:`InsightController.show_model`)."""

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
from vaedesk.gui.widgets.insight_tabs import DIMENSIONS_TAB, DISTRIBUTION_TAB, InsightTabs
from vaedesk.gui.widgets.loss_view import WAITING_TEXT
from vaedesk.gui.widgets.panels import ENCODING_TEXT
from vaedesk.service.protocol import Channel, DecodeResult, EncodeResult, InsightResult, LensRequest, TraversalResult
from vaedesk.state.workspace import Workspace

if TYPE_CHECKING:
    from vaedesk.insight.report import DrawingReport

# While the pen moves, the lens' decodings and the explanation follow at this interval (each
# costs a few to 15 ms on the worker); a finished drawing gets them at once.
INSIGHT_INTERVAL_MS = 250
LENS_GRID = 5  # the posterior lens shows LENS_GRID x LENS_GRID decodings
NEIGHBOURS_WAITING_TEXT = "Finding the training digits your drawing lands among…"


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
        self._explain_error: str | None = None  # why the drawing shown could not be explained
        self._likelihood_id = 0  # the newest finished drawing's estimate asked for
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
            client.subscribe(channel, self._on_explained, failed=self._on_explain_failed)
        client.subscribe(Channel.LENS, self._on_lens_decoded, failed=say)
        client.subscribe(Channel.TRAVERSAL, self._on_traversal, failed=self._on_traversal_failed)
        client.subscribe(Channel.LATENT, self._on_latent_decoded,
                         failed=lambda message: status.showMessage(f"latent: {message}", 8000))

    def show_model(self) -> None:
        """A model (or view) was just shown: every view drops what it showed of the last one and
        says that the new one's is being computed (asked for as the drawing is encoded again),
        or invites the user to draw. The breakdown fits the model's kind."""
        info = self.models.info
        assert info is not None  # shown: a model has loaded
        self._forget_explanation()
        self.loss_view.set_autoencoder(info.kind != "vae")
        self.lens.set_axis_labels(*info.view.axis_labels)
        self._show_lens()
        self._show_explanation(hidden_too=True)
        self.traversal_view.clear()
        self.request_traversal()

    def _forget_explanation(self) -> None:
        self.last_report = None
        self._neighbours = None
        self._explain_error = None

    # -- explanations ----------------------------------------------------------------------
    def _on_encoding(self, finished: bool) -> None:
        if finished:  # pen lifted, imported, restored: the slower, tighter estimate too
            self._timer.stop()
            self._likelihood_id = self.client.likelihood(self.workspace.drawing)
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
        if result is None:  # no drawing, or one being encoded afresh (by a newly shown model)
            self._forget_explanation()
            self._show_lens()
            self.plane.set_lens_rect(None)
            self._show_explanation(hidden_too=True)
            return
        if self.lens.isVisible():  # else shown when its tab is
            self._show_lens()
        if self.loss_view.is_autoencoder() and self.loss_view.isVisible():  # its code is listed
            self.loss_view.set_code(result.posterior.mean[0])

    def _on_explained(self, result: InsightResult) -> None:
        if self.workspace.drawing.is_empty():
            return  # the drawing was cleared meanwhile
        if result.channel is Channel.INSIGHT and result.request_id < self._likelihood_id:
            return  # of the drawing before the pen lifted: the finished drawing's estimate is asked for
        self.last_report = result.report
        self._neighbours = result
        self._explain_error = None
        self._show_explanation()

    def _on_explain_failed(self, message: str) -> None:
        self.status.showMessage(message, 8000)  # the posterior itself is still shown
        self._explain_error = message
        self._show_explanation()

    def _show_explanation(self, hidden_too: bool = False) -> None:
        """The explanation in the views the user can see (hidden ones catch up when shown:
        redrawing them costs the GUI thread while the pen moves): the shown model's, else a
        sentence saying it is being computed, why it could not be, or inviting the user to draw.
        ``hidden_too`` when an explanation is dropped: no view keeps one that is no longer true."""
        report, shown, info = self.last_report, self._neighbours, self.models.info
        if report is None and self._explain_error is not None:
            waiting = f"Could not explain the drawing: {self._explain_error}"
            neighbours_waiting = waiting
        elif report is None and not self.workspace.drawing.is_empty():
            waiting, neighbours_waiting = WAITING_TEXT, NEIGHBOURS_WAITING_TEXT
        else:
            waiting = neighbours_waiting = ""
        if self.loss_view.isVisible() or hidden_too:
            if report is not None:
                encoded = self.drawing.last_encode
                self.loss_view.set_code(None if encoded is None else encoded.posterior.mean[0])
                # Without −log p(x) it is on its way once the pen is up (asked for as it lifted).
                self.loss_view.set_report(report, estimating=not self.drawing.canvas.is_drawing())
            elif waiting:
                self.loss_view.show_message(waiting)
            else:
                self.loss_view.set_report(None)
        if self.nearest_view.isVisible() or hidden_too:
            if shown is None or report is None:
                if neighbours_waiting:
                    self.nearest_view.set_neighbours(None, None, message=neighbours_waiting)
                else:
                    self.nearest_view.set_neighbours(None, None)
            else:
                self.nearest_view.set_neighbours(shown.neighbour_images, shown.report.neighbour_labels,
                                                 names=info.class_names if info else None)

    def _show_neighbour(self, index: int) -> None:
        shown = self._neighbours
        if shown is None or index >= len(shown.neighbour_images):
            return
        xy, label = shown.neighbour_xy[index], shown.report.neighbour_labels[index]
        number = int(shown.report.neighbours[index])
        self.neighbour_chosen.emit(shown.neighbour_images[index], f"Training digit #{number} (label {label})")
        self.plane.set_hover_marker(xy)  # after the preview's tab is brought forward, which clears the cross

    def _on_tab_changed(self, index: int) -> None:
        # The cross on the plane marks what the shown tab edits: each tab puts its own back
        # (and the edits the tab left asked to decode are not wanted any more).
        self.plane.set_hover_marker(None)
        self.client.forget(Channel.LATENT)
        if index == DISTRIBUTION_TAB:
            self._show_lens()
        else:  # the outline on the plane marks what the lens shows
            self.plane.set_lens_rect(None)
        self._show_explanation()
        self.request_traversal()
        latent = self.traversal_view.latent()
        if index == DIMENSIONS_TAB and latent is not None and not self.models.loading:
            self.client.decode_latent(latent)  # the sliders' latent, marked on the plane again

    # -- the lens --------------------------------------------------------------------------
    def _show_lens(self) -> None:
        info, result = self.models.info, self.drawing.last_encode
        if (info is not None and info.kind != "vae") or (result is not None and result.cov_xy is None):
            self.lens.set_autoencoder()  # with or without a drawing: it has no distribution
        elif result is None:
            self.lens.set_none() if self.workspace.drawing.is_empty() else self.lens.set_waiting()
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
        if (result is None or result.cov_xy is None or self.models.loading or not self.lens.isVisible()
                or self.lens.view_rect() is None):
            return
        points, extent = self.lens.grid_points(LENS_GRID)
        self.client.lens(LensRequest(result.posterior.mean[0], result.mean_xy, points, LENS_GRID, extent))

    def _on_lens_decoded(self, result: DecodeResult) -> None:
        if self.lens.view_rect() is not None:
            self.lens.set_grid(result.tile, (*result.x_range, *result.y_range))

    # -- traversals ------------------------------------------------------------------------
    def request_traversal(self) -> None:
        """Sweep the dimensions of what the Dimensions tab edits (the drawing, or the chosen
        pin), when the tab is shown: the sweep costs a decoding per row and step. Until it
        comes, a tab with no rows says what it is waiting for. Not while another model loads:
        its ``shown`` asks again."""
        if self.models.info is None or self.models.loading:
            return
        view, encoded = self.traversal_view, self.drawing.last_encode
        pin = self.subject.current_pin()
        if pin is None and encoded is None:
            self.client.forget(Channel.TRAVERSAL)
            if self.workspace.drawing.is_empty():
                view.clear()
            else:
                view.show_message(ENCODING_TEXT)
            return
        if view.traversal is None:
            what = self.subject.name() if pin is not None else "your drawing"
            view.show_message(f"Sweeping each latent dimension of {what}…")
        if not view.isVisible():
            return  # asked for when the tab is shown
        if pin is not None:
            self.client.traversal(latent=np.array(pin.latent, np.float64))
        elif encoded is not None:
            self.client.traversal(latent=encoded.posterior.mean[0])

    def _on_traversal(self, result: TraversalResult) -> None:
        shown = self.traversal_view.traversal
        if shown is not None and np.array_equal(shown.origin, result.traversal.origin):
            return  # the same latent again (asked twice while drawing): keep the user's slider edits
        self.traversal_view.set_traversal(result.traversal, self.subject.name())
        if not self.models.loading:  # else the model process holds another model already
            self.client.decode_latent(result.traversal.origin)

    def _on_traversal_failed(self, message: str) -> None:
        self.status.showMessage(f"traversal: {message}", 8000)
        if self.traversal_view.traversal is None:  # not "Sweeping…" for ever
            self.traversal_view.show_message(f"Could not sweep the dimensions: {message}")

    def _on_latent_edited(self, latent: np.ndarray) -> None:
        if self.models.info is not None and not self.models.loading:
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
