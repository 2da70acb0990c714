"""Files: open a saved drawing or import an image (by dialog, by path or dropped), save the
drawing, export the plane, choose a checkpoint. Each failure is one clear warning."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QObject, QUrl
from PySide6.QtWidgets import QFileDialog, QStatusBar, QWidget

from vaedesk.data.drawing_files import load_drawing, save_drawing
from vaedesk.data.images import load_image, preprocess_image
from vaedesk.errors import VaedeskError
from vaedesk.gui.controllers.autosave import SessionKeeper
from vaedesk.gui.dialogs.messages import MessageBoxes, show_saved
from vaedesk.gui.plane.export import PLANE_FILTER, export_plot, plane_path
from vaedesk.gui.plane.widget import LatentPlane
from vaedesk.gui.widgets.canvas import DrawingCanvas
from vaedesk.state.workspace import Workspace

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"
CHECKPOINT_FILTER = "vaedesk models (*.safetensors *.json)"
T = TypeVar("T")


class FilesController(QObject):
    """File actions over ``parent`` (the dialogs' parent)."""

    def __init__(self, workspace: Workspace, canvas: DrawingCanvas, plane: LatentPlane, keeper: SessionKeeper,
                 messages: MessageBoxes, status: QStatusBar, parent: QWidget) -> None:
        super().__init__(parent)
        self.workspace, self.canvas, self.plane, self.keeper = workspace, canvas, plane, keeper
        self.messages, self.status, self._parent = messages, status, parent

    # -- opening ---------------------------------------------------------------------------
    def open_drawing_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self._parent, "Open drawing or image", "", IMAGE_FILTER)
        if path:
            self.open_file(path)

    def open_image_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self._parent, "Import an image of a digit", "", IMAGE_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str | os.PathLike) -> bool:
        """Open a saved drawing (restores its strokes) or import any image of a digit."""
        try:
            strokes = load_drawing(path)
            if strokes is not None:
                self.canvas.set_strokes(strokes)
            else:  # preprocessed once, here: a blank image fails with a clear message
                self.workspace.set_image(preprocess_image(load_image(path)))
        except VaedeskError as exc:
            self.messages.show("warning", "Cannot open file", str(exc))
            return False
        self.status.showMessage(f"Opened {Path(path).name}", 5000)
        return True

    def open_dropped(self, urls: Sequence[QUrl]) -> bool:
        """Open the first local file of a drop; False when there is none."""
        local = [url for url in urls if url.isLocalFile()]
        if local:
            self.open_file(local[0].toLocalFile())
        return bool(local)

    def choose_checkpoint(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self._parent, "Open checkpoint", "", CHECKPOINT_FILTER)
        return path or None

    # -- saving ----------------------------------------------------------------------------
    def save_drawing_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self._parent, "Save drawing", "drawing.png", "PNG (*.png)")
        if path:
            self.save_drawing(path if path.lower().endswith(".png") else path + ".png")

    def save_drawing(self, path: str | os.PathLike) -> bool:
        if not self._write_or_warn("Cannot save drawing", path, lambda: save_drawing(
                self.canvas.strokes(), path, ink_width=self.canvas.ink_width())):
            return False
        self.keeper.unsaved_drawings = False
        show_saved(self.status, path)
        return True

    def export_plane_dialog(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(self._parent, "Export the latent plane", "latent-plane.png",
                                                   PLANE_FILTER)
        if path:
            try:
                path = str(plane_path(path, chosen))
            except VaedeskError as exc:
                self.messages.show("warning", "Cannot export the plane", str(exc))
                return
            self.export_plane(path)

    def export_plane(self, path: str | os.PathLike) -> bool:
        """Save the latent plane as shown (axes, legend, overlays) as a .png or .svg picture."""
        written = self._write_or_warn("Cannot export the plane", path, lambda: export_plot(self.plane, path))
        if not written:
            return False
        show_saved(self.status, written)
        return True

    def _write_or_warn(self, title: str, path: str | os.PathLike, write: Callable[[], T]) -> T | None:
        """Run ``write()``, which saves to ``path`` and returns the file written; on failure
        say why in one warning and return None."""
        try:
            return write()
        except VaedeskError as exc:
            self.messages.show("warning", title, str(exc))
        except OSError as exc:
            self.messages.show("warning", title, f"{path}: {exc.strerror or exc}")
        return None
