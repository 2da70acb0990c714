"""The morph: the panel's endpoints kept in step with the workspace, the preview asked of
the worker whenever what it depends on changes, the path drawn on the plane, and exports."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QStatusBar, QWidget

from vaedesk.gui.client.model_client import WorkerClient
from vaedesk.gui.controllers.model import ModelController
from vaedesk.gui.dialogs.messages import MessageBoxes, show_saved
from vaedesk.gui.plane.widget import LatentPlane
from vaedesk.gui.widgets.morph_panel import MorphPanel
from vaedesk.service.protocol import Channel, DecodeResult, MorphRequest
from vaedesk.state.workspace import Endpoint, GalleryEndpoint, PinEndpoint, Workspace


class MorphController(QObject):
    """``path_points`` is the shown preview's path on the plane ((frames, 2), or None);
    ``keep_drawing()`` keeps the current drawing in the gallery and returns its index (or
    None); ``parent`` is the export dialogs' parent."""

    export_done = Signal(str)

    def __init__(self, client: WorkerClient, workspace: Workspace, models: ModelController, panel: MorphPanel,
                 plane: LatentPlane, keep_drawing: Callable[[], int | None], status: QStatusBar,
                 messages: MessageBoxes, parent: QWidget) -> None:
        super().__init__(parent)
        self.client, self.workspace, self.models, self.panel, self.plane = client, workspace, models, panel, plane
        self._keep_drawing, self.status, self.messages, self._parent = keep_drawing, status, messages, parent
        self.path_points: np.ndarray | None = None
        self._pin_images: dict[int, np.ndarray] = {}  # each pin's decoding, by id: the thumbnails of pin endpoints
        panel, workspace = self.panel, self.workspace
        panel.add_pins_requested.connect(self.add_pins)
        panel.add_drawing_requested.connect(self.add_drawing)
        panel.add_gallery_requested.connect(self.add_gallery)
        panel.endpoints_edited.connect(workspace.set_endpoints)
        panel.settings_changed.connect(self.request_preview)
        panel.export_gif.clicked.connect(lambda: self.export_dialog("gif"))
        panel.export_png.clicked.connect(lambda: self.export_dialog("png"))
        panel.cancel.clicked.connect(self.cancel_export)
        panel.frame_shown.connect(self._show_marker)
        workspace.endpoints_changed.connect(self._show_endpoints)
        workspace.pins_changed.connect(self._show_endpoints)  # their labels are pin numbers
        for event in (workspace.endpoints_changed, workspace.pins_changed):
            event.connect(self.request_preview)
        worker = self.client.worker
        worker.export_progress.connect(self._on_progress)
        worker.export_finished.connect(self._on_finished)
        worker.export_cancelled.connect(self._on_cancelled)
        client.subscribe(Channel.MORPH, self._on_decoded, failed=self._preview_failed)
        client.subscribe(Channel.PINS, self._on_pins_decoded)
        client.subscribe(Channel.EXPORT, failed=self.export_failed)

    # -- endpoints -----------------------------------------------------------------------
    def add_pins(self) -> None:
        pins = self.workspace.pins(self.models.key)
        if not pins:
            self.status.showMessage("No pins yet: click the plane to pin points", 4000)
        for pin in pins:
            self.workspace.add_endpoint(PinEndpoint(pin.id))

    def add_drawing(self) -> None:
        index = self._keep_drawing()
        if index is not None:
            self.workspace.add_endpoint(GalleryEndpoint(index))

    def add_gallery(self) -> None:
        count = len(self.workspace.gallery)
        if not count:
            self.status.showMessage("The gallery is empty: keep a drawing first", 4000)
        for index in range(count):
            self.workspace.add_endpoint(GalleryEndpoint(index))

    def _show_endpoints(self) -> None:
        self.panel.show_endpoints([(self.workspace.endpoint_label(e), e, self._thumbnail(e))
                                   for e in self.workspace.endpoints()])

    def _thumbnail(self, endpoint: Endpoint) -> np.ndarray | None:
        """A pin endpoint's decoding (None until it is decoded), a drawing's model input."""
        if isinstance(endpoint, PinEndpoint):
            return self._pin_images.get(endpoint.pin_id)
        return self.workspace.gallery_input(endpoint.index)

    def _on_pins_decoded(self, result: DecodeResult) -> None:
        self._pin_images = dict(zip(result.ids, result.images))
        self.panel.set_thumbnails([self._thumbnail(e) for e in self.workspace.endpoints()])

    # -- preview ---------------------------------------------------------------------------
    def _request(self) -> MorphRequest | None:
        endpoints = self.workspace.morph_endpoints(self.models.key)
        if len(endpoints) < 2:
            return None
        options = self.panel.options()
        return MorphRequest(tuple(endpoints), options["frames"], options["method"], options["easing"])

    def request_preview(self) -> None:
        if self.models.info is None:
            return
        request = self._request()
        if request is None:
            self.client.forget(Channel.MORPH)  # a preview on its way is of endpoints now gone
            self.path_points = None
            self.plane.set_path(None)
            self.plane.set_path_marker(None)
            self.panel.set_frames(None)
            return
        self.client.morph_preview(request)

    def _on_decoded(self, result: DecodeResult) -> None:
        self.path_points = result.points
        self.plane.set_path(result.points)
        self.panel.set_frames(result.images)

    def _preview_failed(self, message: str) -> None:
        self.status.showMessage(f"morph: {message}", 8000)
        self.messages.show("warning", "Model error", message)

    def _show_marker(self, index: int) -> None:
        if self.path_points is not None and index < len(self.path_points):
            self.plane.set_path_marker(self.path_points[index])

    # -- export ----------------------------------------------------------------------------
    def export_dialog(self, fmt: str) -> None:
        if self._request() is None:
            self.messages.show("warning", "Nothing to morph",
                                   "Pin at least two points on the plane (click it), or add drawings to the morph.")
            return
        if fmt == "gif":
            path, _ = QFileDialog.getSaveFileName(self._parent, "Export morph as GIF", "morph.gif", "GIF (*.gif)")
            if path and not path.lower().endswith(".gif"):
                path += ".gif"
        else:
            path = QFileDialog.getSaveFileName(self._parent, "Export PNG frames into a new folder", "morph-frames",
                                               "Folder (*)")[0]
        if path:
            self.export_to(path, fmt)

    def export_to(self, path: str | os.PathLike, fmt: str = "gif") -> None:
        """Export the morph (off the GUI thread); ``export_done`` fires with the path."""
        request = self._request()
        if request is None or self.models.info is None:
            self.messages.show("warning", "Nothing to morph", "A morph needs a model and at least two endpoints.")
            return
        options = self.panel.options()
        self.panel.set_exporting(True)
        self.status.showMessage(f"Exporting {Path(path).name}…")
        self.client.export(request, os.fspath(path), fmt, fps=options["fps"], size=options["size"],
                           pingpong=options["pingpong"])

    def cancel_export(self) -> None:
        self.client.cancel_export()
        self.panel.cancel.setEnabled(False)

    def export_failed(self, message: str) -> None:
        self.panel.set_exporting(False)
        self.status.showMessage("Export failed", 8000)
        self.messages.show("warning", "Export failed", message)

    def _on_progress(self, done: int, total: int) -> None:
        self.panel.progress.setMaximum(total)
        self.panel.progress.setValue(done)

    def _on_finished(self, path: str) -> None:
        self.panel.set_exporting(False)
        show_saved(self.status, path)
        self.export_done.emit(path)

    def _on_cancelled(self) -> None:
        self.panel.set_exporting(False)
        self.status.showMessage("Export cancelled; nothing was written", 6000)

