"""The morph: the panel's endpoints kept in step with the workspace, the preview asked of
the worker whenever what it depends on changes, the path drawn on the plane, and exports."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog

from vaedesk.service.protocol import Channel, DecodeResult, MorphRequest
from vaedesk.state.workspace import GalleryEndpoint, PinEndpoint

if TYPE_CHECKING:
    from vaedesk.gui.window import MainWindow


class MorphController(QObject):
    """``path_points`` is the shown preview's path on the plane ((frames, 2), or None)."""

    export_done = Signal(str)

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self._win = win
        self.workspace, self.panel, self.client = win.workspace, win.morph_panel, win.client
        self.path_points: np.ndarray | None = None
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
        self.client.decoded.connect(self._on_decoded)

    # -- endpoints -----------------------------------------------------------------------
    def add_pins(self) -> None:
        pins = self.workspace.pins()
        if not pins:
            self._win.statusBar().showMessage("No pins yet: click the plane to pin points", 4000)
        for pin in pins:
            self.workspace.add_endpoint(PinEndpoint(pin.id))

    def add_drawing(self) -> None:
        index = self._win.keep_drawing()
        if index is not None:
            self.workspace.add_endpoint(GalleryEndpoint(index))

    def add_gallery(self) -> None:
        count = len(self.workspace.gallery)
        if not count:
            self._win.statusBar().showMessage("The gallery is empty: keep a drawing first", 4000)
        for index in range(count):
            self.workspace.add_endpoint(GalleryEndpoint(index))

    def _show_endpoints(self) -> None:
        self.panel.show_endpoints([(self.workspace.endpoint_label(e), e) for e in self.workspace.endpoints()])

    # -- preview ---------------------------------------------------------------------------
    def _request(self) -> MorphRequest | None:
        endpoints = self.workspace.morph_endpoints()
        if len(endpoints) < 2:
            return None
        options = self.panel.options()
        return MorphRequest(tuple(endpoints), options["frames"], options["method"], options["easing"])

    def request_preview(self) -> None:
        if self._win.model_info is None:
            return
        request = self._request()
        if request is None:
            self.client.forget(Channel.MORPH)  # a preview on its way is of endpoints now gone
            self.path_points = None
            self._win.plane.set_path(None)
            self._win.plane.set_path_marker(None)
            self.panel.set_frames(None)
            return
        self.client.morph_preview(request)

    def _on_decoded(self, result: DecodeResult) -> None:
        if result.channel is Channel.MORPH:
            self.path_points = result.points
            self._win.plane.set_path(result.points)
            self.panel.set_frames(result.images)

    def _show_marker(self, index: int) -> None:
        if self.path_points is not None and index < len(self.path_points):
            self._win.plane.set_path_marker(self.path_points[index])

    # -- export ----------------------------------------------------------------------------
    def export_dialog(self, fmt: str) -> None:
        if self._request() is None:
            self._win.show_message("warning", "Nothing to morph",
                                   "Pin at least two points on the plane (click it), or add drawings to the morph.")
            return
        if fmt == "gif":
            path, _ = QFileDialog.getSaveFileName(self._win, "Export morph as GIF", "morph.gif", "GIF (*.gif)")
            if path and not path.lower().endswith(".gif"):
                path += ".gif"
        else:
            path = QFileDialog.getSaveFileName(self._win, "Export PNG frames into a new folder", "morph-frames",
                                               "Folder (*)")[0]
        if path:
            self.export_to(path, fmt)

    def export_to(self, path: str | os.PathLike, fmt: str = "gif") -> None:
        """Export the morph (off the GUI thread); ``export_done`` fires with the path."""
        request = self._request()
        if request is None or self._win.model_info is None:
            self._win.show_message("warning", "Nothing to morph", "A morph needs a model and at least two endpoints.")
            return
        options = self.panel.options()
        self.panel.set_exporting(True)
        self._win.statusBar().showMessage(f"Exporting {Path(path).name}…")
        self.client.export(request, os.fspath(path), fmt, fps=options["fps"], size=options["size"],
                           pingpong=options["pingpong"])

    def cancel_export(self) -> None:
        self.client.cancel_export()
        self.panel.cancel.setEnabled(False)

    def export_failed(self, message: str) -> None:
        self.panel.set_exporting(False)
        self._win.statusBar().showMessage("Export failed", 8000)
        self._win.show_message("warning", "Export failed", message)

    def _on_progress(self, done: int, total: int) -> None:
        self.panel.progress.setMaximum(total)
        self.panel.progress.setValue(done)

    def _on_finished(self, path: str) -> None:
        self.panel.set_exporting(False)
        self._win.statusBar().showMessage(f"Exported {path}", 8000)
        self._win.show_message("information", "Export finished", f"The morph was written to\n{path}")
        self.export_done.emit(path)

    def _on_cancelled(self) -> None:
        self.panel.set_exporting(False)
        self._win.statusBar().showMessage("Export cancelled; nothing was written", 6000)

