"""The morph panel: endpoints, settings, an animated preview and the export controls.

The panel only shows and collects what the user wants: the endpoints themselves live in the
workspace (the panel shows them and reports the user's edits), and the model process decodes
and writes the frames.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from vaedesk.gui.accessible import named
from vaedesk.gui.widgets.images import DigitView, array_to_pixmap
from vaedesk.gui.widgets.removable_list import RemovableList
from vaedesk.latent.geometry import EASINGS, METHODS
from vaedesk.support.limits import DEFAULT_FRAME_SIZE

THUMBNAIL_SIZE = 48  # pixels a side of an endpoint's thumbnail


class MorphPanel(QGroupBox):
    """Endpoints (pins and drawings), frames, fps, method, easing, ping-pong, preview, export."""

    add_pins_requested = Signal()
    add_drawing_requested = Signal()
    add_gallery_requested = Signal()
    settings_changed = Signal()
    #: The user reordered or removed endpoints: the new list of their sources, in order.
    endpoints_edited = Signal(list)
    frame_shown = Signal(int)  # index of the preview frame on screen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Morph", parent)
        self.setObjectName("morph_panel")
        self.endpoints = RemovableList(objectName="morph_endpoints")
        self.endpoints.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.endpoints.setToolTip("Endpoints in order; drag to reorder. With none, the pins are used in order.")
        # A row of thumbnails, each beside its name: the digit each endpoint is.
        self.endpoints.setFlow(QListView.Flow.LeftToRight)
        self.endpoints.setWrapping(False)
        self.endpoints.setIconSize(QSize(THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        self.endpoints.setFixedHeight(THUMBNAIL_SIZE + 40)
        add_pins = QPushButton("+ Pins")
        add_pins.setToolTip("Add every pinned point, in order")
        add_drawing = QPushButton("+ Drawing")
        add_drawing.setToolTip("Add the current drawing (kept in the gallery)")
        add_gallery = QPushButton("+ Gallery")
        add_gallery.setToolTip("Add every drawing of the gallery")
        remove = QPushButton("Remove")
        add_pins.clicked.connect(self.add_pins_requested)
        add_drawing.clicked.connect(self.add_drawing_requested)
        add_gallery.clicked.connect(self.add_gallery_requested)
        remove.clicked.connect(self.remove_selected)
        named(self.endpoints, "Morph endpoints", "The morph's endpoints in order; drag to reorder, Delete or "
                                                 "Backspace removes the selected ones. With none, the pins are "
                                                 "used in order")
        self.endpoints.remove_requested.connect(self.remove_selected)
        named(add_pins, "Add pins to the morph")
        named(add_drawing, "Add the drawing to the morph")
        named(add_gallery, "Add the gallery to the morph")
        named(remove, "Remove endpoints", "Remove the selected endpoints from the morph")
        buttons = QHBoxLayout()
        for button in (add_pins, add_drawing, add_gallery, remove):
            buttons.addWidget(button)

        self.frames = QSpinBox()
        self.frames.setRange(2, 1000)
        self.frames.setValue(48)
        self.fps = QSpinBox()
        self.fps.setRange(1, 50)
        self.fps.setValue(24)
        self.method = QComboBox()
        self.method.addItems(list(METHODS))
        self.easing = QComboBox()
        self.easing.addItems(list(EASINGS))
        self.pingpong = QCheckBox("Ping-pong")
        self.frame_size = QSpinBox()
        self.frame_size.setRange(28, 2048)
        self.frame_size.setValue(DEFAULT_FRAME_SIZE)
        self.frame_size.setSuffix(" px")
        form = QFormLayout()
        row = QHBoxLayout()
        row.addWidget(self.frames)
        row.addWidget(self.fps)
        self.fps.setSuffix(" fps")
        self.frames.setSuffix(" frames")
        form.addRow("Length", row)
        for widget, name, tip in (
                (self.frames, "Morph frames", "How many frames the morph has"),
                (self.fps, "Morph speed", "Frames per second, in the preview and the GIF"),
                (self.method, "Morph path", "How the morph moves between endpoints in latent space: a straight "
                                            "line (linear) or an arc around the origin (spherical)"),
                (self.easing, "Morph easing", "How the morph speeds up and slows down between endpoints"),
                (self.frame_size, "GIF size", "Width and height of the exported frames, in pixels"),
                (self.pingpong, "Ping-pong", "The GIF plays forward, then backward")):
            widget.setToolTip(tip)
            named(widget, name, tip)
        # Each drop-down beside a label of its own (no mnemonics: Alt+E is the Edit menu's).
        path_label = QLabel("Path", objectName="morph_path_label")
        path_label.setBuddy(self.method)
        easing_label = QLabel("Easing", objectName="morph_easing_label")
        easing_label.setBuddy(self.easing)
        row = QHBoxLayout()
        row.addWidget(self.method)
        row.addWidget(easing_label)
        row.addWidget(self.easing)
        form.addRow(path_label, row)
        row = QHBoxLayout()
        row.addWidget(self.frame_size)
        row.addWidget(self.pingpong)
        form.addRow("GIF", row)
        for widget in (self.frames, self.method, self.easing):
            signal = widget.valueChanged if isinstance(widget, QSpinBox) else widget.currentIndexChanged
            signal.connect(self.settings_changed)
        # Emitted after the move is complete (rowsMoved fires before the old row is gone).
        self.endpoints.model().rowsMoved.connect(lambda *_: QTimer.singleShot(0, self._emit_edited))
        self.fps.valueChanged.connect(self._restart_timer)

        self.preview = named(DigitView("Morph preview", smooth=True, hint_size=120), "Morph preview")
        self.play = named(QPushButton("Play"), "Play morph", "Play or stop the morph's preview")
        self.play.setCheckable(True)
        self.play.toggled.connect(self._toggle_play)
        self.export_gif = named(QPushButton("Export GIF…"), "Export morph as GIF", "Save the morph as an animated GIF")
        self.export_png = named(QPushButton("PNG frames…"), "Export morph as PNG frames",
                                "Save each frame of the morph as a PNG image")
        self.progress = named(QProgressBar(), "Export progress")
        self.progress.setVisible(False)
        self.cancel = named(QPushButton("Cancel"), "Cancel export", "Stop writing the morph's files")
        self.cancel.setVisible(False)
        controls = QHBoxLayout()
        for button in (self.play, self.export_gif, self.export_png):
            controls.addWidget(button)
        export_row = QHBoxLayout()
        export_row.addWidget(self.progress)
        export_row.addWidget(self.cancel)

        layout = QVBoxLayout(self)
        layout.addWidget(self.endpoints)
        layout.addLayout(buttons)
        layout.addLayout(form)
        layout.addWidget(self.preview, 1)
        layout.addLayout(controls)
        layout.addLayout(export_row)

        self._frames: np.ndarray | None = None
        self._index = 0
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._advance)

    # -- endpoints ---------------------------------------------------------------------
    def show_endpoints(self, endpoints: list[tuple[str, Any, np.ndarray | None]]) -> None:
        """Show ``(label, source, image)`` endpoints in order, each with its (28, 28) image as
        a thumbnail (None: none yet); emits nothing."""
        self.endpoints.clear()
        for label, source, _ in endpoints:
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, source)
            item.setToolTip(label)
            self.endpoints.addItem(item)
        self.set_thumbnails([image for _, _, image in endpoints])

    def set_thumbnails(self, images: list[np.ndarray | None]) -> None:
        """Each shown endpoint's image, in order, as its thumbnail (None: none)."""
        for row, image in enumerate(images[:self.endpoints.count()]):
            icon = QIcon() if image is None else QIcon(array_to_pixmap(image, THUMBNAIL_SIZE))
            self.endpoints.item(row).setIcon(icon)

    def thumbnails(self) -> list[QIcon]:
        """The shown endpoints' thumbnails, in order (a null icon where there is none)."""
        return [self.endpoints.item(row).icon() for row in range(self.endpoints.count())]

    def endpoint_sources(self) -> list[Any]:
        return [self.endpoints.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.endpoints.count())]

    def remove_selected(self) -> None:
        for item in self.endpoints.selectedItems():
            self.endpoints.takeItem(self.endpoints.row(item))
        self._emit_edited()

    def _emit_edited(self) -> None:
        self.endpoints_edited.emit(self.endpoint_sources())

    def options(self) -> dict[str, Any]:
        return dict(frames=self.frames.value(), fps=self.fps.value(), method=self.method.currentText(),
                    easing=self.easing.currentText(), pingpong=self.pingpong.isChecked(), size=self.frame_size.value())

    # -- preview -----------------------------------------------------------------------
    def set_frames(self, frames: np.ndarray | None) -> None:
        self._frames = frames
        self._index = 0
        self._show_current()

    def _show_current(self) -> None:
        if self._frames is None or len(self._frames) == 0:
            self.preview.set_image(None)
            return
        self._index %= len(self._frames)
        self.preview.set_image(self._frames[self._index])
        self.preview.set_caption(f"Frame {self._index + 1}/{len(self._frames)}")
        self.frame_shown.emit(self._index)

    def _toggle_play(self, playing: bool) -> None:
        self.play.setText("Stop" if playing else "Play")
        if playing:
            self._restart_timer()
        else:
            self._timer.stop()

    def _restart_timer(self) -> None:
        if self.play.isChecked():
            self._timer.start(max(1, round(1000 / self.fps.value())))

    def _advance(self) -> None:
        if self._frames is not None and len(self._frames):
            self._index = (self._index + 1) % len(self._frames)
            self._show_current()

    def set_exporting(self, exporting: bool) -> None:
        self.progress.setVisible(exporting)
        self.cancel.setVisible(exporting)
        self.cancel.setEnabled(exporting)
        self.export_gif.setEnabled(not exporting)
        self.export_png.setEnabled(not exporting)
        if exporting:
            self.progress.setValue(0)
