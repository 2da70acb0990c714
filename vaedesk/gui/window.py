"""The main window: wires the canvas, the latent plane, the preview and the morph panel to
the model worker. It holds view state only; every model computation runs on the worker."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QMainWindow, QMessageBox, QPushButton, QSlider, QSplitter,
    QVBoxLayout, QWidget,
)

from ..catalog import DEFAULT_MODEL, list_models
from ..errors import VaedeskError
from ..paths import user_data_dir
from .canvas import DrawingCanvas
from .images import DigitView, ImageStrip
from .morph_panel import MorphPanel
from .plane import LatentPlane
from .worker import SAMPLE_COUNT, DecodeResult, EncodeResult, ModelInfo, WorkerClient

if TYPE_CHECKING:
    from .training_panel import TrainingPanel

SETTINGS_VERSION = 1
MANIFOLD_GRID = 20
AUTOSAVE_DELAY_MS = 800  # a change is on disk this soon after it was made
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"


def open_settings() -> QSettings:
    settings = QSettings(str(user_data_dir() / "settings.ini"), QSettings.Format.IniFormat)
    if settings.value("version", type=int) != SETTINGS_VERSION:
        settings.clear()
        settings.setValue("version", SETTINGS_VERSION)
    return settings


class MainWindow(QMainWindow):
    """vaedesk's window. ``posterior_changed`` fires with each newly shown encoding."""

    posterior_changed = Signal(object)  # model.Posterior, batch of one
    model_ready = Signal(str)  # model name, once its plane is shown
    preview_changed = Signal(object)  # (28, 28) array shown in the decoder preview
    samples_shown = Signal(object)  # (1 + S, 28, 28): the shown posterior's mean and samples, decoded
    export_done = Signal(str)
    error_shown = Signal(str)
    session_saved = Signal(str)  # path of the autosaved session

    def __init__(self, model: str | None = None) -> None:
        super().__init__()
        self.setWindowTitle("vaedesk — draw into a VAE's latent space")
        self.setAcceptDrops(True)
        self.settings = open_settings()
        self.client = WorkerClient(self)
        self.model_info: ModelInfo | None = None
        self.last_encode: EncodeResult | None = None
        self.training_panel: TrainingPanel | None = None
        self._shown_request = 0
        self._latest_encode = 0
        self._shown: dict[str, int] = {}  # per channel: id of the newest decode result shown
        # An imported picture's 28x28 model input, made once on import; it replaces the
        # strokes until the user draws.
        self._image_input: np.ndarray | None = None
        self._gallery: list[dict[str, Any]] = []
        self._pin_images: dict[int, np.ndarray] = {}
        self._morph_points: np.ndarray | None = None
        self._morph_request = 0  # the morph preview asked for; 0 when there is none to show
        self._hovering = False
        self._messages: list[QMessageBox] = []
        self._opened_checkpoints: list[str] = []
        self._unsaved_drawings = False  # drawn or kept since the last "Save drawing"
        self._restored_note = ""
        #: Why the session cannot be autosaved right now (None while autosave works): the
        #: user is told once, the status bar keeps saying it, and closing warns of the loss.
        self.autosave_error: str | None = None
        # A damaged session file that could not be set aside is never overwritten.
        self._session_blocked: str | None = None
        self._close_confirmed = False  # by the Quit action, so closeEvent does not ask again
        self._autosave = QTimer(self, singleShot=True, interval=AUTOSAVE_DELAY_MS)
        self._autosave.timeout.connect(self.save_session)
        self._build_widgets()
        self._build_actions()
        self._connect()
        self._restore_settings()
        self._restore_session()
        self._switch_model(model or self.settings.value("model", DEFAULT_MODEL, type=str))

    # ------------------------------------------------------------------ building
    def _build_widgets(self) -> None:
        self.canvas = DrawingCanvas()
        self.pen_slider = QSlider(Qt.Orientation.Horizontal)
        self.pen_slider.setRange(50, 250)
        self.pen_slider.setValue(100)
        self.pen_slider.setToolTip("Pen width")
        self.input_view = DigitView("Model input 28×28", hint_size=84)
        self.recon_view = DigitView("Reconstruction", hint_size=84)
        self.readout = QLabel("Draw a digit to see its posterior q(z|x).")
        self.readout.setWordWrap(True)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setStyleSheet("font-family: monospace;")
        self.samples = ImageStrip(SAMPLE_COUNT, tile_size=44)
        self.samples.setToolTip("Decodings of samples z ~ q(z|x), drawn as small circles on the plane")
        self.resample_button = QPushButton("Resample")

        draw_box = QGroupBox("Draw")
        draw_layout = QVBoxLayout(draw_box)
        draw_layout.addWidget(self.canvas, 1)
        pen_row = QHBoxLayout()
        pen_row.addWidget(QLabel("Pen"))
        pen_row.addWidget(self.pen_slider, 1)
        self.undo_button, self.redo_button = QPushButton("Undo"), QPushButton("Redo")
        self.clear_button, self.keep_button = QPushButton("Clear"), QPushButton("Keep")
        self.keep_button.setToolTip("Keep this drawing in the gallery (for morphs)")
        for button in (self.undo_button, self.redo_button, self.clear_button, self.keep_button):
            pen_row.addWidget(button)
        draw_layout.addLayout(pen_row)
        self.input_view.setMaximumHeight(130)
        draw_layout.addWidget(self.input_view)

        posterior_box = QGroupBox("Posterior q(z|x)")
        posterior_layout = QVBoxLayout(posterior_box)
        posterior_layout.addWidget(self.readout)
        sample_row = QHBoxLayout()
        sample_row.addWidget(self.samples, 1)
        sample_row.addWidget(self.resample_button)
        posterior_layout.addLayout(sample_row)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(draw_box, 1)
        left_layout.addWidget(posterior_box)

        self.plane = LatentPlane()

        self.preview_view = DigitView("Hover over the plane to decode", smooth=True, hint_size=160)
        preview_box = QGroupBox("Decoder preview")
        preview_box.setObjectName("preview")
        self.preview_box = preview_box
        preview_layout = QVBoxLayout(preview_box)
        decoded = QHBoxLayout()
        decoded.addWidget(self.preview_view, 2)
        decoded.addWidget(self.recon_view, 1, Qt.AlignmentFlag.AlignBottom)
        preview_layout.addLayout(decoded, 1)
        self.pin_strip = ImageStrip(0, tile_size=44)
        self.pin_strip.setToolTip("Pinned points: click the plane to pin, drag to move, right-click to remove")
        preview_layout.addWidget(QLabel("Pins"))
        preview_layout.addWidget(self.pin_strip)
        self.gallery_strip = ImageStrip(0, tile_size=44)
        self.gallery_strip.setToolTip("Kept drawings: click one to draw on it again")
        preview_layout.addWidget(QLabel("Gallery"))
        preview_layout.addWidget(self.gallery_strip)

        self.morph_panel = MorphPanel()
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(preview_box, 1)
        right_layout.addWidget(self.morph_panel, 1)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.plane)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setStretchFactor(2, 0)
        splitter.setSizes([340, 640, 300])
        self.splitter = splitter
        self.setCentralWidget(splitter)
        self.autosave_label = QLabel()
        self.autosave_label.setObjectName("autosave_status")
        self.autosave_label.setStyleSheet("color: #b00020;")
        self.autosave_label.hide()
        self.statusBar().addPermanentWidget(self.autosave_label)
        self.statusBar().showMessage("Loading model…")

    def _action(self, name: str, text: str, shortcut: Any = None, slot=None, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        if slot is not None:
            (action.toggled if checkable else action.triggered).connect(slot)
        self.addAction(action)
        setattr(self, name, action)
        return action

    def _build_actions(self) -> None:
        S = QKeySequence.StandardKey
        self._action("action_open_drawing", "&Open drawing…", S.Open, self.open_drawing_dialog)
        self._action("action_save_drawing", "&Save drawing…", S.Save, self.save_drawing_dialog)
        self._action("action_open_image", "&Import image…", "Ctrl+I", self.open_image_dialog)
        self._action("action_export_gif", "Export morph as &GIF…", "Ctrl+E", lambda: self.export_dialog("gif"))
        self._action("action_export_png", "Export morph as PNG &frames…", "Ctrl+Shift+E", lambda: self.export_dialog("png"))
        self._action("action_quit", "&Quit", S.Quit, self._quit)
        self._action("action_undo", "&Undo", S.Undo, self.canvas.undo)
        self._action("action_redo", "&Redo", S.Redo, self.canvas.redo)
        self._action("action_clear", "&Clear drawing", "Ctrl+L", self.clear_drawing)
        self._action("action_keep", "&Keep drawing in gallery", "Ctrl+K", self.keep_drawing)
        self._action("action_resample", "Re&sample z ~ q(z|x)", "Ctrl+R", self.resample)
        self._action("action_clear_pins", "Remove all &pins", "Ctrl+Shift+P", self.clear_pins)
        self._action("action_manifold", "&Manifold overlay", "Ctrl+M", self._manifold_toggled, checkable=True)
        self._action("action_reset_view", "&Reset view", "Ctrl+0", self.plane.reset_view)
        self._action("action_play_morph", "&Play morph", "Ctrl+P", lambda: self.morph_panel.play.toggle())
        self._action("action_open_model", "Open &checkpoint…", "Ctrl+Shift+O", self.open_model_dialog)
        self._action("action_train", "&Train new model…", "Ctrl+T", self.open_training)
        self._action("action_about", "&About vaedesk and this model", S.HelpContents, self.show_about)

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        for action in (self.action_open_drawing, self.action_save_drawing, self.action_open_image, None,
                       self.action_export_gif, self.action_export_png, None, self.action_quit):
            file_menu.addSeparator() if action is None else file_menu.addAction(action)
        edit_menu = menu.addMenu("&Edit")
        for action in (self.action_undo, self.action_redo, self.action_clear, None, self.action_keep,
                       self.action_resample, self.action_clear_pins):
            edit_menu.addSeparator() if action is None else edit_menu.addAction(action)
        view_menu = menu.addMenu("&View")
        view_menu.addAction(self.action_manifold)
        view_menu.addAction(self.action_reset_view)
        view_menu.addAction(self.action_play_morph)
        self.model_menu = menu.addMenu("&Model")
        self.model_group = QActionGroup(self)
        self._populate_model_menu()
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self.action_about)

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main_toolbar")
        for action in (self.action_undo, self.action_redo, self.action_clear, self.action_keep, None,
                       self.action_open_image, self.action_export_gif, None, self.action_manifold,
                       self.action_reset_view):
            toolbar.addSeparator() if action is None else toolbar.addAction(action)

    def _populate_model_menu(self, extra: str | None = None) -> None:
        """The shipped and user models, then any checkpoints opened by path this session."""
        if extra and extra not in self._opened_checkpoints:
            self._opened_checkpoints.append(extra)
        self.model_menu.clear()
        for action in self.model_group.actions():
            self.model_group.removeAction(action)
        names = list_models()
        names += [path for path in self._opened_checkpoints if path not in names]
        for index, name in enumerate(names):
            action = QAction(Path(name).name if os.sep in name else name, self, checkable=True)
            action.setData(name)
            if index < 9:
                action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
            action.triggered.connect(lambda checked=False, n=name: self._switch_model(n))
            self.model_group.addAction(action)
            self.model_menu.addAction(action)
        self.model_menu.addSeparator()
        self.model_menu.addAction(self.action_open_model)
        self.model_menu.addAction(self.action_train)

    def _connect(self) -> None:
        worker = self.client.worker
        worker.model_loaded.connect(self._on_model_loaded)
        worker.encoded.connect(self._on_encoded)
        worker.decoded.connect(self._on_decoded)
        worker.failed.connect(self._on_failed)
        worker.export_progress.connect(self._on_export_progress)
        worker.export_finished.connect(self._on_export_finished)
        worker.export_cancelled.connect(self._on_export_cancelled)

        self.canvas.drawing_changed.connect(self._on_drawing_changed)
        self.canvas.limit_reached.connect(lambda message: self.statusBar().showMessage(message, 10_000))
        self.canvas.drawing_changed.connect(self._drawings_changed)
        self.plane.pins_changed.connect(self._autosave.start)
        self.plane.pin_removed.connect(self._autosave.start)
        self.canvas.history_changed.connect(self._update_history_actions)
        self.pen_slider.valueChanged.connect(lambda v: self.canvas.set_pen_scale(v / 100))
        self.undo_button.clicked.connect(self.canvas.undo)
        self.redo_button.clicked.connect(self.canvas.redo)
        self.clear_button.clicked.connect(self.clear_drawing)
        self.keep_button.clicked.connect(self.keep_drawing)
        self.resample_button.clicked.connect(self.resample)

        self.plane.hovered.connect(self._on_hovered)
        self.plane.hover_left.connect(self._on_hover_left)
        self.plane.clicked.connect(self.add_pin)
        self.plane.pins_changed.connect(self._request_pins)
        self.plane.pin_removed.connect(self._on_pin_removed)
        self.plane.pin_selected.connect(self._show_pin)
        self.plane.view_changed.connect(self._on_view_changed)
        self.gallery_strip.clicked.connect(self._restore_gallery_drawing)
        self.pin_strip.clicked.connect(lambda i: self._show_pin(self.plane.pins()[i][0]))

        panel = self.morph_panel
        panel.add_pins_requested.connect(self._add_pin_endpoints)
        panel.add_drawing_requested.connect(self._add_drawing_endpoint)
        panel.add_gallery_requested.connect(self._add_gallery_endpoints)
        panel.settings_changed.connect(self.request_morph_preview)
        panel.export_gif.clicked.connect(self.action_export_gif.trigger)
        panel.export_png.clicked.connect(self.action_export_png.trigger)
        panel.cancel.clicked.connect(self.cancel_export)
        panel.frame_shown.connect(self._on_morph_frame)
        self._update_history_actions()

    # ------------------------------------------------------------------ settings
    def _restore_settings(self) -> None:
        geometry = self.settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1360, 860)
        pen = self.settings.value("pen_scale", 1.0, type=float)
        self.pen_slider.setValue(round(100 * min(max(pen, 0.5), 2.5)))

    def _save_settings(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("pen_scale", self.canvas.pen_scale)
        self.settings.sync()

    # ------------------------------------------------------------------ model
    def _switch_model(self, name: str) -> None:
        """Load a model by name or checkpoint path on the worker; the window updates when ready."""
        if name not in [action.data() for action in self.model_group.actions()]:
            self._populate_model_menu(extra=name)  # a checkpoint opened by path
        self.statusBar().showMessage(f"Loading model {Path(name).name}…")
        self._pending_model = name
        self.client.load_model(name)

    def _on_model_loaded(self, info: ModelInfo) -> None:
        if info.generation != self.client.generation:
            return
        self.model_info = info
        self.settings.setValue("model", self._pending_model)
        for action in self.model_group.actions():
            action.setChecked(action.data() == self._pending_model)
        plane = info.plane
        self.plane.set_scatter(info.scatter_xy, info.scatter_labels, info.class_names)
        self.plane.set_axis_labels(*plane.axis_labels)
        self.plane.show_prior(tuple(plane.to_2d(np.zeros((1, info.latent_dim)))[0]))
        self.plane.set_posterior(None)
        self.plane.reset_view()
        self.last_encode = None
        self._shown_request = 0
        self.resample_button.setEnabled(info.kind == "vae")
        self.action_resample.setEnabled(info.kind == "vae")
        metrics = info.card.get("metrics", {})
        quality = f" — test −ELBO {metrics['neg_elbo']:.1f} nats" if "neg_elbo" in metrics else ""
        note = f" ({info.data_note})" if info.data_note else ""
        if self._restored_note:
            note, self._restored_note = f"{note}; {self._restored_note}", ""
        self.statusBar().showMessage(
            f"Model {info.name} ready: {info.kind.upper()}, {info.latent_dim}-d latent{quality}{note}")
        self.setWindowTitle(f"vaedesk — {info.name}")
        self._encode_current()
        self._request_pins()
        self._request_manifold()
        self.request_morph_preview()
        # torch, Qt and pyqtgraph leave ~240k long-lived objects that every full garbage
        # collection walks again: 50-100 ms pauses in the middle of a stroke. Freezing
        # them once everything is loaded takes them out of future collections.
        gc.freeze()
        self.model_ready.emit(info.name)

    def open_model_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open checkpoint", "", "vaedesk models (*.safetensors *.json)")
        if path:
            self._switch_model(path)

    # ------------------------------------------------------------------ drawing
    def _on_drawing_changed(self, strokes: list[np.ndarray]) -> None:
        if strokes:
            self._image_input = None
        self._encode_current()

    def _encode_current(self) -> None:
        if self.model_info is None:
            return
        if self._image_input is not None:
            self._latest_encode = self.client.encode_image(self._image_input)
            return
        strokes = self.canvas.strokes()
        if not strokes:
            self._latest_encode = 0
            self._show_no_drawing()
            return
        self._latest_encode = self.client.encode_strokes(strokes, self.canvas.model_pen_width())

    def _show_no_drawing(self) -> None:
        self.last_encode = None
        self.plane.set_posterior(None)
        self.input_view.set_image(None)
        self.recon_view.set_image(None)
        self.samples.set_images([None] * SAMPLE_COUNT)
        self.readout.setText("Draw a digit to see its posterior q(z|x).")

    def _on_encoded(self, result: EncodeResult) -> None:
        # Stale: made by a previous model, older than what is shown, or the drawing was cleared.
        if (result.generation != self.client.generation or result.request_id <= self._shown_request
                or self._latest_encode == 0):
            return
        self._shown_request = result.request_id
        self.last_encode = result
        self.input_view.set_image(result.input)
        self.plane.set_posterior(result.mean_xy, result.cov_xy, result.samples_xy if len(result.samples_xy) else None)
        self.readout.setText(self._describe_posterior(result))
        self.posterior_changed.emit(result.posterior)

    def _show_samples(self, result: DecodeResult) -> None:
        """The decodings of the shown posterior: its mean, then its samples."""
        if result.request_id != self._shown_request or self._latest_encode == 0:
            return  # of a drawing that is no longer shown
        self.recon_view.set_image(result.images[0])
        samples = list(result.images[1:])
        self.samples.set_images(samples if samples else [None] * SAMPLE_COUNT)
        self.samples_shown.emit(result.images)

    def _describe_posterior(self, result: EncodeResult) -> str:
        posterior = result.posterior
        mean = posterior.mean[0]
        if posterior.logvar is None:
            values = "  ".join(f"z{i + 1}={m:+.2f}" for i, m in enumerate(mean[:8]))
            return (f"{values}\nA plain autoencoder encodes a point, not a distribution: "
                    "no variance, nothing to sample, no KL pull toward N(0, I).")
        std = posterior.std[0]
        rows = [f"z{i + 1:<2} μ={m:+.2f} σ={s:.2f}" for i, (m, s) in enumerate(zip(mean, std))]
        if len(rows) > 8:
            rows = rows[:8] + [f"… {len(rows) - 8} more dimensions"]
        kl = 0.5 * float(np.sum(mean**2 + std**2 - 1 - 2 * np.log(std)))
        columns = [rows[i] + ("    " + rows[i + 1] if i + 1 < len(rows) else "") for i in range(0, len(rows), 2)]
        return "\n".join(columns) + f"\nKL(q‖N(0,I)) = {kl:.2f} nats"

    def clear_drawing(self) -> None:
        self._image_input = None
        self.canvas.clear()
        self._encode_current()

    def resample(self) -> None:
        if self.model_info is None or self.model_info.kind != "vae":
            return
        if self._image_input is None and not self.canvas.strokes():
            return
        self._latest_encode = self.client.resample(self.canvas.strokes(), self.canvas.model_pen_width(), self._image_input)

    def _update_history_actions(self) -> None:
        for action, button, enabled in ((self.action_undo, self.undo_button, self.canvas.can_undo()),
                                        (self.action_redo, self.redo_button, self.canvas.can_redo())):
            action.setEnabled(enabled)
            button.setEnabled(enabled)

    # ------------------------------------------------------------------ gallery
    def keep_drawing(self) -> int | None:
        """Keep the current drawing (or imported image) in the gallery; returns its index."""
        from ..session import MAX_GALLERY, MAX_SESSION_POINTS

        if self.last_encode is None:
            self.statusBar().showMessage("Nothing to keep: draw a digit first", 4000)
            return None
        # The session's limits, checked here so that what is kept can always be autosaved.
        # The kept copy and the drawing still on the canvas both count.
        points = (sum(len(s) for g in self._gallery for s in g["strokes"])
                  + 2 * sum(len(s) for s in self.canvas.strokes()))
        if len(self._gallery) >= MAX_GALLERY or points > MAX_SESSION_POINTS:
            self.show_message("warning", "Gallery full",
                              f"The gallery holds at most {MAX_GALLERY} drawings and {MAX_SESSION_POINTS:,} points "
                              "in all. Save drawings to files to keep more.")
            return None
        entry = {"strokes": self.canvas.strokes(), "image": self._image_input,
                 "pen_width": self.canvas.model_pen_width(), "input": self.last_encode.input}
        self._gallery.append(entry)
        self._show_gallery()
        self._drawings_changed()
        self.statusBar().showMessage(f"Kept drawing #{len(self._gallery)} in the gallery", 4000)
        return len(self._gallery) - 1

    def _show_gallery(self) -> None:
        self.gallery_strip.set_images([g["input"] for g in self._gallery],
                                      [f"#{i + 1}" for i in range(len(self._gallery))])

    def _restore_gallery_drawing(self, index: int) -> None:
        entry = self._gallery[index]
        if entry["image"] is not None:
            self.canvas.clear()
            self._image_input = entry["image"]
            self._encode_current()
        else:
            self.canvas.set_strokes(entry["strokes"])

    # ------------------------------------------------------------------ plane: hover, pins, manifold
    def _on_hovered(self, x: float, y: float) -> None:
        if self.model_info is not None:
            self._hovering = True
            self.client.hover(x, y)

    def _on_hover_left(self) -> None:
        self._hovering = False
        self.plane.set_hover_marker(None)

    def add_pin(self, x: float, y: float) -> int:
        pin_id = self.plane.add_pin(np.array([x, y]))
        self.plane.set_selected_pin(pin_id)
        self._selected_pin = pin_id
        self._request_pins()
        self._autosave.start()
        return pin_id

    def clear_pins(self) -> None:
        self.plane.clear_pins()
        self._pin_images.clear()
        self.morph_panel.remove_sources(lambda s: s[0] == "pin")
        self._request_pins()
        self._autosave.start()

    def _on_pin_removed(self, pin_id: int) -> None:
        self._pin_images.pop(pin_id, None)
        self.morph_panel.remove_sources(lambda s: tuple(s) == ("pin", pin_id))
        self._request_pins()

    def _request_pins(self) -> None:
        if self.model_info is None:
            return
        pins = self.plane.pins()
        points = np.array([xy for _, xy in pins]).reshape(-1, 2)
        self.client.decode_pins([pid for pid, _ in pins], points)
        self.request_morph_preview()

    def _show_pin(self, pin_id: int) -> None:
        self._selected_pin = pin_id
        self.plane.set_selected_pin(pin_id)
        image = self._pin_images.get(pin_id)
        if image is not None:
            xy = dict(self.plane.pins()).get(pin_id)
            caption = f"Pin {self._pin_number(pin_id)} at ({xy[0]:+.2f}, {xy[1]:+.2f})" if xy is not None else ""
            self._set_preview(image, caption)

    def _pin_number(self, pin_id: int) -> int:
        ids = [pid for pid, _ in self.plane.pins()]
        return ids.index(pin_id) + 1 if pin_id in ids else 0

    def _set_preview(self, image: np.ndarray, caption: str) -> None:
        self.preview_view.set_image(image)
        self.preview_view.set_caption(caption)
        self.preview_changed.emit(image)

    def _manifold_toggled(self, on: bool) -> None:
        if on:
            self._request_manifold()
        else:
            self.plane.set_manifold(None, (0, 1), (0, 1))

    def _on_view_changed(self, x0: float, x1: float, y0: float, y1: float) -> None:
        self._request_manifold()

    def _request_manifold(self) -> None:
        if self.model_info is None or not self.action_manifold.isChecked():
            return
        x0, x1, y0, y1 = self.plane.view_rect()
        # A square region around the view keeps the grid's cells (and digits) square.
        cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) / 2
        self.client.manifold((cx - half, cx + half), (cy - half, cy + half), MANIFOLD_GRID)

    def _on_decoded(self, result: DecodeResult) -> None:
        # Stale: made by a previous model, or older than a result already shown. Newer
        # intermediate results are shown, so a continuous pan still updates the overlay.
        if result.generation != self.client.generation or result.request_id <= self._shown.get(result.channel, 0):
            return
        self._shown[result.channel] = result.request_id
        if result.channel == "samples":
            self._show_samples(result)
        elif result.channel == "hover":
            if self._hovering:
                x, y = result.points[0]
                self._set_preview(result.images[0], f"Decoded at ({x:+.2f}, {y:+.2f})")
        elif result.channel == "pins":
            self._pin_images = dict(zip(result.extra["ids"], result.images))
            self.pin_strip.set_images(list(result.images), [str(i + 1) for i in range(len(result.images))])
            selected = getattr(self, "_selected_pin", None)
            if selected in self._pin_images and not self._hovering:
                self._show_pin(selected)
        elif result.channel == "grid":
            if self.action_manifold.isChecked():
                self.plane.set_manifold(result.extra["tile"], result.extra["x_range"], result.extra["y_range"])
        elif result.channel == "morph":
            if not self._morph_request:
                return  # its endpoints were removed after it was asked for
            self._morph_points = result.points
            self.plane.set_path(result.points)
            self.morph_panel.set_frames(result.images)

    # ------------------------------------------------------------------ morph
    def _add_pin_endpoints(self) -> None:
        pins = self.plane.pins()
        if not pins:
            self.statusBar().showMessage("No pins yet: click the plane to pin points", 4000)
        for pin_id, _ in pins:
            self.morph_panel.add_endpoint(f"Pin {self._pin_number(pin_id)}", ("pin", pin_id))

    def _add_drawing_endpoint(self) -> None:
        index = self.keep_drawing()
        if index is not None:
            self.morph_panel.add_endpoint(f"Drawing #{index + 1}", ("gallery", index))

    def _add_gallery_endpoints(self) -> None:
        if not self._gallery:
            self.statusBar().showMessage("The gallery is empty: keep a drawing first", 4000)
        for index in range(len(self._gallery)):
            self.morph_panel.add_endpoint(f"Drawing #{index + 1}", ("gallery", index))

    def morph_endpoints(self) -> list[dict[str, Any]]:
        """The morph's endpoints as worker requests: plane points or drawings to encode."""
        sources = self.morph_panel.endpoint_sources() or [("pin", pid) for pid, _ in self.plane.pins()]
        pins = dict(self.plane.pins())
        endpoints = []
        for kind, key in sources:
            if kind == "pin" and key in pins:
                endpoints.append({"xy": pins[key]})
            elif kind == "gallery" and key < len(self._gallery):
                entry = self._gallery[key]
                endpoints.append({"image": entry["image"]} if entry["image"] is not None
                                 else {"strokes": entry["strokes"], "pen_width": entry["pen_width"]})
        return endpoints

    def request_morph_preview(self) -> None:
        if self.model_info is None:
            return
        endpoints = self.morph_endpoints()
        if len(endpoints) < 2:
            self._morph_request = 0  # a preview still on its way is of endpoints now gone
            self.plane.set_path(None)
            self.plane.set_path_marker(None)
            self.morph_panel.set_frames(None)
            return
        options = self.morph_panel.options()
        self._morph_request = self.client.morph_preview(endpoints, options["frames"], options["method"],
                                                        options["easing"])

    def _on_morph_frame(self, index: int) -> None:
        if self._morph_points is not None and index < len(self._morph_points):
            self.plane.set_path_marker(self._morph_points[index])

    def export_dialog(self, fmt: str) -> None:
        if len(self.morph_endpoints()) < 2:
            self.show_message("warning", "Nothing to morph",
                              "Pin at least two points on the plane (click it), or add drawings to the morph.")
            return
        if fmt == "gif":
            path, _ = QFileDialog.getSaveFileName(self, "Export morph as GIF", "morph.gif", "GIF (*.gif)")
            if path and not path.lower().endswith(".gif"):
                path += ".gif"
        else:
            path = QFileDialog.getSaveFileName(self, "Export PNG frames into a new folder", "morph-frames", "Folder (*)")[0]
        if path:
            self.export_to(path, fmt)

    def export_to(self, path: str | os.PathLike, fmt: str = "gif") -> None:
        """Export the morph (off the GUI thread); ``export_done`` fires with the path."""
        endpoints = self.morph_endpoints()
        if len(endpoints) < 2 or self.model_info is None:
            self.show_message("warning", "Nothing to morph", "A morph needs a model and at least two endpoints.")
            return
        self.morph_panel.set_exporting(True)
        self.statusBar().showMessage(f"Exporting {Path(path).name}…")
        self.client.export(endpoints, os.fspath(path), fmt, **self.morph_panel.options())

    def cancel_export(self) -> None:
        self.client.cancel_export()
        self.morph_panel.cancel.setEnabled(False)

    def _on_export_progress(self, done: int, total: int) -> None:
        self.morph_panel.progress.setMaximum(total)
        self.morph_panel.progress.setValue(done)

    def _on_export_finished(self, path: str) -> None:
        self.morph_panel.set_exporting(False)
        self.statusBar().showMessage(f"Exported {path}", 8000)
        self.show_message("information", "Export finished", f"The morph was written to\n{path}")
        self.export_done.emit(path)

    def _on_export_cancelled(self) -> None:
        self.morph_panel.set_exporting(False)
        self.statusBar().showMessage("Export cancelled; nothing was written", 6000)

    # ------------------------------------------------------------------ files
    def open_drawing_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open drawing or image", "", IMAGE_FILTER)
        if path:
            self.open_file(path)

    def open_image_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import an image of a digit", "", IMAGE_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str | os.PathLike) -> bool:
        """Open a saved drawing (restores its strokes) or import any image of a digit."""
        from ..drawing_io import load_drawing
        from ..preprocess import load_image, preprocess_image

        try:
            strokes = load_drawing(path)
            if strokes is not None:
                self._image_input = None
                self.canvas.set_strokes(strokes)
            else:
                model_input = preprocess_image(load_image(path))  # a blank image fails here, clearly
                self.canvas.clear()
                self._image_input = model_input
                self._encode_current()
                self._drawings_changed()
        except VaedeskError as exc:
            self.show_message("warning", "Cannot open file", str(exc))
            return False
        self.statusBar().showMessage(f"Opened {Path(path).name}", 5000)
        return True

    def save_drawing_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save drawing", "drawing.png", "PNG (*.png)")
        if path:
            self.save_drawing(path if path.lower().endswith(".png") else path + ".png")

    def save_drawing(self, path: str | os.PathLike) -> bool:
        from ..drawing_io import save_drawing

        try:
            save_drawing(self.canvas.strokes(), path, ink_width=self.canvas.ink_width())
        except VaedeskError as exc:
            self.show_message("warning", "Cannot save drawing", str(exc))
            return False
        except OSError as exc:
            self.show_message("warning", "Cannot save drawing", f"{path}: {exc.strerror or exc}")
            return False
        self._unsaved_drawings = False
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open_file(urls[0].toLocalFile())
            event.acceptProposedAction()

    # ------------------------------------------------------------------ messages
    def show_message(self, kind: str, title: str, text: str) -> QMessageBox:
        """A non-blocking message box (the app keeps running behind it)."""
        icons = {"information": QMessageBox.Icon.Information, "warning": QMessageBox.Icon.Warning,
                 "critical": QMessageBox.Icon.Critical}
        for open_box in self._messages:  # a failure repeated on every stroke is said once
            if open_box.windowTitle() == title and open_box.text() == text:
                return open_box
        box = QMessageBox(icons[kind], title, text, QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(Qt.TextFormat.PlainText)  # file names and card text are never markup
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.finished.connect(lambda _=0, b=box: self._messages.remove(b) if b in self._messages else None)
        self._messages.append(box)
        box.show()
        if kind != "information":
            self.error_shown.emit(text)
        return box

    def _on_failed(self, channel: str, message: str) -> None:
        if channel == "load":
            self.statusBar().showMessage("Model could not be loaded", 8000)
            self.show_message("critical", "Cannot load model", message)
            if self.model_info is None and self._pending_model != DEFAULT_MODEL:
                self._switch_model(DEFAULT_MODEL)  # e.g. a remembered checkpoint was deleted
            elif self.model_info is not None:
                self.client.generation = self.model_info.generation
                for action in self.model_group.actions():
                    action.setChecked(action.data() == self.settings.value("model", DEFAULT_MODEL, type=str))
            return
        if channel == "export":
            self.morph_panel.set_exporting(False)
            self.statusBar().showMessage("Export failed", 8000)
            self.show_message("warning", "Export failed", message)
            return
        self.statusBar().showMessage(f"{channel}: {message}", 8000)
        if channel in ("morph", "encode"):
            self.show_message("warning", "Model error", message)

    def show_about(self) -> None:
        import json

        from .. import __version__

        card = self.model_info.card if self.model_info else {}
        shown = {k: v for k, v in card.items() if k not in ("history",)}
        # The card is untrusted text: shown as plain text (show_message), never as markup.
        text = (f"vaedesk {__version__} — explore a Variational AutoEncoder by drawing.\n"
                "MNIST by Yann LeCun, Corinna Cortes and Christopher J.C. Burges (CC BY-SA 3.0).\n\n"
                f"Model card:\n{json.dumps(shown, indent=1)[:4000]}")
        self.show_message("information", "About vaedesk", text)

    # ------------------------------------------------------------------ session (autosave)
    def _drawings_changed(self, _strokes: Any = None) -> None:
        self._unsaved_drawings = True
        self._autosave.start()

    def current_session(self):
        """The drawing, gallery and pins as a :class:`vaedesk.session.Session`."""
        from ..session import Drawing, Session

        # An imported picture is kept as its 28x28 model input, not as the original file.
        drawing = Drawing(self.canvas.strokes(), self.canvas.model_pen_width(), self._image_input)
        gallery = [Drawing(g["strokes"], g["pen_width"], g["input"] if g["image"] is not None else None)
                   for g in self._gallery]
        return Session(drawing, gallery, [tuple(xy) for _, xy in self.plane.pins()], self._pending_model)

    def save_session(self) -> bool:
        """Write the session now (it is also written shortly after every change). On failure
        the user is told (once, then in the status bar until it works again); never raises."""
        from ..session import save_session

        self._autosave.stop()
        try:
            if self._session_blocked:
                raise VaedeskError(self._session_blocked)
            path = save_session(self.current_session())
        except Exception as exc:  # noqa: BLE001  (whatever it is, the user must hear of it)
            message = " ".join(str(exc).split()) or type(exc).__name__
            if self.autosave_error is None:
                self.show_message("warning", "Autosave failed",
                                  f"Your work could not be saved to the session file: {message}\n\n"
                                  "Until this is fixed, save drawings you want to keep with File → Save drawing. "
                                  "vaedesk tries again after every change.")
            self.autosave_error = message
            self.autosave_label.setText(f"⚠ Autosave failed: {message}")
            self.autosave_label.show()
            return False
        if self.autosave_error is not None:
            self.statusBar().showMessage("Autosave works again: your session is saved.", 8000)
        self.autosave_error = None
        self.autosave_label.hide()
        self.session_saved.emit(str(path))
        return True

    def _restore_session(self) -> None:
        """Restore the last session; whatever is wrong with its file, the app starts."""
        from ..atomic import sweep_stale
        from ..paths import user_data_dir, user_models_dir
        from ..session import SessionError, load_session, session_path, set_aside

        for folder in (user_data_dir(), user_models_dir()):
            sweep_stale(folder)  # temporaries of writes that a crash or a kill cut short
        try:
            session = load_session()
            if session is not None:
                self._apply_session(session)
        except Exception as exc:  # noqa: BLE001  (a SessionError, or anything a damaged file provokes)
            self._clear_restored()
            reason = str(exc) if isinstance(exc, SessionError) else f"{type(exc).__name__}: {exc}"
            kept = set_aside()
            if kept is None and session_path().exists():
                self._session_blocked = (f"the damaged session file {session_path()} could not be set aside, "
                                         "so it is not overwritten")
            where = f" It was kept as {kept}." if kept else ""
            self.show_message("warning", "Session not restored",
                              f"Your last session could not be restored: {' '.join(reason.split())}.{where}")
            return
        if session is not None and session.problems:
            kept = set_aside(copy=True)
            shown = "; ".join(session.problems[:3]) + ("; …" if len(session.problems) > 3 else "")
            where = f" The file as it was is kept as {kept}." if kept else ""
            self.show_message("warning", "Session partly restored",
                              f"{len(session.problems)} part(s) of your last session could not be restored and "
                              f"were left out ({shown}). Everything else is back.{where}")

    def _apply_session(self, session) -> None:
        from ..preprocess import preprocess_strokes

        for entry in session.gallery:
            if entry.image is not None:
                self._gallery.append({"strokes": [], "image": entry.image, "pen_width": None, "input": entry.image})
            else:
                self._gallery.append({"strokes": entry.strokes, "image": None, "pen_width": entry.pen_width,
                                      "input": preprocess_strokes(entry.strokes, entry.pen_width)})
        self._show_gallery()
        for x, y in session.pins:
            self.plane.add_pin(np.array([x, y]))
        if session.drawing.image is not None:
            self._image_input = session.drawing.image
        elif session.drawing.strokes:
            self.canvas.set_strokes(session.drawing.strokes)
        self._unsaved_drawings = False  # restored, and still in the session file
        restored = len(session.gallery) + (not session.drawing.is_empty())
        if restored or session.pins:  # said with the first "model ready" message
            self._restored_note = f"restored your last session: {restored} drawing(s), {len(session.pins)} pin(s)"

    def _clear_restored(self) -> None:
        """Undo a restore that failed half-way, so the window starts clean."""
        self._gallery.clear()
        self._show_gallery()
        self.plane.clear_pins()
        self._image_input = None
        self.canvas.clear()
        self._unsaved_drawings = False
        self._restored_note = ""

    def confirm_close(self) -> bool:
        """Ask before closing during a training run, or with drawings never saved to a file;
        True to close."""
        if self.training_panel is not None and self.training_panel.is_running():
            box = QMessageBox(QMessageBox.Icon.Question, "Close vaedesk",
                              "A model is still training. Closing stops it; the last complete epoch is kept "
                              "in your model folder.", parent=self)
            box.setObjectName("close_question")
            stop = box.addButton("Stop training and close", QMessageBox.ButtonRole.AcceptRole)
            box.addButton(QMessageBox.StandardButton.Cancel)
            box.exec()
            if box.clickedButton() is not stop:
                return False
        count = len(self._gallery) + (not self.canvas.is_empty() or self._image_input is not None)
        at_risk = self.autosave_error is not None and count > 0 and not self.save_session()
        if at_risk:
            # Never claim the work is safe when it is not: this asks whatever the setting.
            text = (f"Your session cannot be saved ({self.autosave_error}). Your {count} drawing(s) will be "
                    "lost when vaedesk closes unless you save them as files.")
        elif not self._unsaved_drawings or self.settings.value("ask_on_close", True, type=bool) is False:
            return True
        else:
            text = (f"You have {count} drawing(s) not saved as files. They stay in your session and "
                    "come back the next time you start vaedesk.")
        box = QMessageBox(QMessageBox.Icon.Question, "Close vaedesk", text, parent=self)
        box.setObjectName("close_question")
        close = box.addButton("Close", QMessageBox.ButtonRole.AcceptRole)
        save = box.addButton("Save drawing…", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(close)
        never = QCheckBox("Don't ask again")
        if not at_risk:
            box.setCheckBox(never)
        box.exec()
        if never.isChecked():
            self.settings.setValue("ask_on_close", False)
        if box.clickedButton() is save:
            self.save_drawing_dialog()
            return not self._unsaved_drawings
        return box.clickedButton() is close

    # ------------------------------------------------------------------ lifetime
    # ------------------------------------------------------------------ training studio
    def open_training(self) -> TrainingPanel:
        """Show the training studio (created on first use: it owns the training thread)."""
        if self.training_panel is None:
            from .training_panel import TrainingPanel

            self.training_panel = TrainingPanel(self)
            self.training_panel.model_saved.connect(self._on_model_trained)
            self.posterior_changed.connect(self._send_drawing_to_training)
            self._send_drawing_to_training()
        self.training_panel.show()
        self.training_panel.raise_()
        self.training_panel.activateWindow()
        return self.training_panel

    def _send_drawing_to_training(self, _posterior: Any = None) -> None:
        drawing = self.last_encode.input if self.last_encode is not None else None
        self.training_panel.set_drawing(drawing)

    def _on_model_trained(self, path: str) -> None:
        self._populate_model_menu()
        for action in self.model_group.actions():
            action.setChecked(action.data() == self._pending_model)
        self.statusBar().showMessage(f"Trained {Path(path).stem}: choose it in the Model menu to explore it.")

    def _quit(self) -> None:
        if self.confirm_close():
            self._close_confirmed = True
            self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        # A close by the user (window manager) asks first; a close from code (tests, the
        # screenshot mode) does not. Either way the session is written before anything stops.
        if event.spontaneous() and not self._close_confirmed and not self.confirm_close():
            event.ignore()
            return
        self.save_session()
        self._save_settings()
        self.morph_panel.play.setChecked(False)
        if self.training_panel is not None:
            self.training_panel.shutdown()
            self.training_panel.close()
        self.client.stop()
        for box in list(self._messages):
            box.close()
        super().closeEvent(event)
