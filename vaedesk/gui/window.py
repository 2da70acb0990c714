"""The main window: layout, and the wiring between the user's workspace, the widgets and
the model worker.

The user's state (drawing, gallery, pins, morph endpoints) is in :attr:`MainWindow.workspace`
(Qt-free); every model computation runs on the worker behind :attr:`MainWindow.client`, which
delivers only results still wanted. The morph and export are in :mod:`.morph_controller`,
autosave in :mod:`.autosave`, actions and menus in :mod:`.actions`.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QMainWindow, QMessageBox, QPushButton,
    QScrollArea, QSlider, QSplitter, QTabWidget, QVBoxLayout, QWidget,
)

from vaedesk.model.catalog import DEFAULT_MODEL
from vaedesk.data.drawing_files import load_drawing, save_drawing
from vaedesk.errors import VaedeskError
from vaedesk.service.model_service import SAMPLE_COUNT
from vaedesk.support.paths import settings_path
from vaedesk.data.preprocess import load_image, preprocess_image
from vaedesk.service.protocol import Channel, DecodeResult, EncodeResult, InsightResult, LensRequest, ModelInfo
from vaedesk.support.settings import SettingsError, legacy_settings_path, migrate_settings
from vaedesk.support.palettes import DEFAULT_THEME
from vaedesk.state.workspace import Workspace, WorkspaceFull
from vaedesk.gui.actions import WindowActions
from vaedesk.gui.accessible import named
from vaedesk.gui.controllers.autosave import SessionKeeper
from vaedesk.gui.widgets.canvas import DrawingCanvas
from vaedesk.gui.widgets.images import DigitView, ImageStrip
from vaedesk.gui.widgets.lens import PosteriorLens
from vaedesk.gui.plotting.live_text import LiveText
from vaedesk.gui.widgets.loss_view import LossBreakdown
from vaedesk.gui.controllers.morph import MorphController
from vaedesk.gui.widgets.morph_panel import MorphPanel
from vaedesk.gui.widgets.neighbours_view import NearestDigits
from vaedesk.gui.controllers.arithmetic import AttributeController
from vaedesk.gui.widgets.arithmetic_panel import AttributePanel
from vaedesk.gui.plane.widget import LatentPlane
from vaedesk.gui.plane.export import PLANE_FILTER, export_plot, plane_path
from vaedesk.gui.theme import apply_theme, set_text_color
from vaedesk.gui.dialogs.tour import TourPanel, vae_steps
from vaedesk.gui.widgets.traversal_view import TraversalView
from vaedesk.gui.client.model_client import WorkerClient

if TYPE_CHECKING:
    from vaedesk.gui.studio.panel import TrainingPanel

SETTINGS_VERSION = 1
MANIFOLD_GRID = 20
# While the pen moves, the lens' decodings and the explanation follow at this interval (each
# costs a few to 15 ms on the worker); a finished drawing gets them at once.
INSIGHT_INTERVAL_MS = 250
LENS_GRID = 5  # the posterior lens shows LENS_GRID x LENS_GRID decodings
log = logging.getLogger(__name__)
PLANE_DESCRIPTION = ("The test digits' codes by class, your drawing's posterior and your pins. "
                     "Click to pin a point, drag a pin to move it, Delete removes the selected pin.")
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"


def open_settings() -> QSettings:
    """The app's settings, in the user's configuration folder (moved there from the data
    folder the first time; if that move fails, the old file is used as it is)."""
    path = settings_path()
    try:
        migrate_settings()
    except SettingsError as exc:
        path = legacy_settings_path()
        log.warning("%s; the settings stay in %s", exc, path)
    settings = QSettings(str(path), QSettings.Format.IniFormat)
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
    subject_changed = Signal()  # what the Dimensions and Arithmetic tabs edit (subject_latent) changed

    def __init__(self, model: str | None = None) -> None:
        super().__init__()
        self.setWindowTitle("vaedesk — draw into a VAE's latent space")
        self.setAcceptDrops(True)
        self.settings = open_settings()
        # Before any widget exists, so that every one starts in the theme's colours.
        self._theme = apply_theme(self.settings.value("theme", DEFAULT_THEME, type=str))
        self.workspace = Workspace()
        self.client = WorkerClient(self)
        self.model_info: ModelInfo | None = None
        self.last_encode: EncodeResult | None = None  # the posterior shown
        self.last_report = None  # explain.DrawingReport of the drawing shown, once computed
        self._neighbours: InsightResult | None = None
        self.latest_encode_id = 0  # the newest encode asked for; 0 while there is no drawing
        self.training_panel: TrainingPanel | None = None
        self._pending_model = model or self.settings.value("model", DEFAULT_MODEL, type=str)
        self._pin_images: dict[int, np.ndarray] = {}
        self._selected_pin: int | None = None
        self._subject_pin: int | None = None  # the pin the Dimensions and Arithmetic tabs edit; None: the drawing
        self._pins_to_place: tuple[str, dict[int, np.ndarray]] | None = None  # across a change of view
        self._hovering = False
        self._messages: list[QMessageBox] = []
        self._canvas_edit = False  # the workspace's drawing is changing because the user drew
        self._close_confirmed = False  # by the Quit action, so closeEvent does not ask again
        self._build_widgets()
        self.autosave = SessionKeeper(self.workspace, lambda: self._pending_model, self)
        self.morph = MorphController(self)
        self.arithmetic = AttributeController(self)
        self.actions = WindowActions(self)
        self.actions.check_theme(self._theme)
        self._connect()
        self._restore_settings()
        self.autosave.restore()
        self.switch_model(self._pending_model)

    # ------------------------------------------------------------------ building
    def _build_widgets(self) -> None:
        self.canvas = named(DrawingCanvas(), "Drawing canvas",
                            "Draw a digit with the mouse or a pen; the model encodes it as you draw")
        self.pen_slider = QSlider(Qt.Orientation.Horizontal)
        self.pen_slider.setRange(50, 250)
        self.pen_slider.setValue(100)
        self.pen_slider.setToolTip("Pen width")
        named(self.pen_slider, "Pen width", "Width of the pen on the canvas, in percent of the usual width")
        self.input_view = named(DigitView("Model input 28×28", hint_size=84), "Model input",
                                "Your drawing as the model sees it: 28 by 28 pixels")
        self.recon_view = named(DigitView("Reconstruction", hint_size=84), "Reconstruction",
                                "The decoding of your drawing's posterior mean")
        # Not a QLabel: its every setText re-laid out the whole window, at every stroke.
        self.readout = LiveText("Draw a digit to see its posterior q(z|x).")
        # A font, not a style sheet: a label with a style sheet would keep its colours across a theme change.
        self.readout.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        named(self.readout, "Posterior readout", "The mean and spread of your drawing's code, and its KL")
        self.samples = ImageStrip(SAMPLE_COUNT, tile_size=44, item_name="Sample")
        self.samples.setToolTip("Decodings of samples z ~ q(z|x), drawn as small circles on the plane")
        named(self.samples, "Posterior samples")
        self.resample_button = named(QPushButton("Resample"), "Resample",
                                     "Draw new samples from your drawing's posterior q(z|x)")

        draw_box = QGroupBox("Draw")
        draw_layout = QVBoxLayout(draw_box)
        draw_layout.addWidget(self.canvas, 1)
        pen_row = QHBoxLayout()
        pen_row.addWidget(QLabel("Pen"))
        pen_row.addWidget(self.pen_slider, 1)
        self.undo_button, self.redo_button = QPushButton("Undo"), QPushButton("Redo")
        self.clear_button, self.keep_button = QPushButton("Clear"), QPushButton("Keep")
        self.keep_button.setToolTip("Keep this drawing in the gallery (for morphs)")
        named(self.undo_button, "Undo", "Undo the last stroke")
        named(self.redo_button, "Redo", "Redo the stroke undone last")
        named(self.clear_button, "Clear drawing", "Clear the canvas")
        named(self.keep_button, "Keep drawing")
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

        self.plane = named(LatentPlane(), "Latent plane", PLANE_DESCRIPTION)

        self.preview_view = DigitView("Hover over the plane to decode", smooth=True, hint_size=160)
        named(self.preview_view, "Decoder preview")  # its description follows what it shows (the caption)
        preview_box = QGroupBox("Decoder preview")
        preview_box.setObjectName("preview")
        self.preview_box = preview_box
        preview_layout = QVBoxLayout(preview_box)
        decoded = QHBoxLayout()
        decoded.addWidget(self.preview_view, 2)
        decoded.addWidget(self.recon_view, 1, Qt.AlignmentFlag.AlignBottom)
        preview_layout.addLayout(decoded, 1)
        self.pin_strip = ImageStrip(0, tile_size=44, keyboard=True, removable=True, item_name="Pin")
        self.pin_strip.setToolTip("Pinned points: click the plane to pin, drag to move, right-click to remove")
        named(self.pin_strip, "Pins", "Your pinned points, decoded. Arrow keys choose one, Enter previews it "
                                      "and makes it what the Dimensions and Arithmetic tabs edit, Delete removes it")
        preview_layout.addWidget(QLabel("Pins"))
        preview_layout.addWidget(self.pin_strip)
        self.gallery_strip = ImageStrip(0, tile_size=44, keyboard=True, item_name="Kept drawing")
        self.gallery_strip.setToolTip("Kept drawings: click one to draw on it again")
        named(self.gallery_strip, "Gallery", "Your kept drawings. Arrow keys choose one, Enter draws on it again")
        preview_layout.addWidget(QLabel("Gallery"))
        preview_layout.addWidget(self.gallery_strip)

        self.morph_panel = MorphPanel()
        decode_tab = QWidget()
        decode_layout = QVBoxLayout(decode_tab)
        decode_layout.setContentsMargins(0, 0, 0, 0)
        decode_layout.addWidget(preview_box, 1)
        decode_layout.addWidget(self.morph_panel, 1)
        right = self.insight_tabs = QTabWidget()
        right.setObjectName("insight_tabs")
        named(right, "Insight tabs", "Decoder preview and morph, the posterior's distribution, where the drawing "
                                     "landed, its dimensions and latent arithmetic")
        right.addTab(decode_tab, "Decode && morph")
        right.addTab(self._build_distribution_tab(), "Distribution")
        right.addTab(self._build_neighbours_tab(), "Where it landed")
        right.addTab(self._build_traversals_tab(), "Dimensions")
        right.addTab(self._build_attributes_tab(), "Arithmetic")
        right.currentChanged.connect(self._on_tab_changed)

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
        set_text_color(self.autosave_label, "error")
        self.autosave_label.hide()
        self.statusBar().addPermanentWidget(self.autosave_label)
        self.statusBar().showMessage("Loading model…")
        self.tour = TourPanel(self)
        self._insight_timer = QTimer(self, singleShot=True, interval=INSIGHT_INTERVAL_MS)
        self._insight_timer.timeout.connect(self._request_insight)

    def _build_distribution_tab(self) -> QWidget:
        """The posterior up close, and what the drawing costs."""
        self.lens = PosteriorLens()
        self.loss_view = LossBreakdown()
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(self.lens)
        layout.addWidget(self.loss_view)
        layout.addStretch(1)
        return _scrolled(content, "Distribution")

    def _build_neighbours_tab(self) -> QWidget:
        self.nearest_view = NearestDigits()
        tab = QWidget()
        layout = QVBoxLayout(tab)
        hint = QLabel("The training digits whose codes lie nearest your drawing's mean (in every latent "
                      "dimension). Click one to see where it sits on the plane.")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addWidget(self.nearest_view)
        layout.addStretch(1)
        return tab

    def _build_traversals_tab(self) -> QWidget:
        self.traversal_view = TraversalView()
        return _scrolled(self.traversal_view, "Dimensions")

    def _build_attributes_tab(self) -> QWidget:
        self.attribute_panel = AttributePanel()
        return _scrolled(self.attribute_panel, "Arithmetic")

    def show_traversals(self) -> None:
        """Bring the per-dimension traversals to the front."""
        self.insight_tabs.setCurrentIndex(3)

    def show_arithmetic(self) -> None:
        """Bring latent arithmetic (attribute vectors) to the front."""
        self.insight_tabs.setCurrentIndex(4)

    def show_insight(self, widget: QWidget | None = None) -> None:
        """Bring the posterior lens and the loss breakdown to the front (scrolled to ``widget``)."""
        self.insight_tabs.setCurrentIndex(1)
        if widget is not None:
            self.insight_tabs.currentWidget().ensureWidgetVisible(widget)

    def _connect(self) -> None:
        client = self.client
        client.model_loaded.connect(self._on_model_loaded)
        client.encoded.connect(self._on_encoded)
        client.decoded.connect(self._on_decoded)
        client.reported.connect(self._on_reported)
        client.worker.reference_ready.connect(self._on_reference_ready)
        client.failed.connect(self._on_failed)
        self.lens.view_changed.connect(self._on_lens_view_changed)
        self.nearest_view.digit_clicked.connect(self._show_neighbour)
        self.traversal_view.latent_edited.connect(self._on_latent_edited)
        self.traversal_view.save_requested.connect(self.save_traversal)

        workspace = self.workspace
        workspace.drawing_changed.connect(self._on_drawing_changed)
        workspace.gallery_changed.connect(self._show_gallery)
        workspace.pins_changed.connect(self._on_pins_changed)

        keeper = self.autosave
        keeper.saved.connect(self.session_saved)
        keeper.failed.connect(self._on_autosave_failed)
        keeper.recovered.connect(self._on_autosave_recovered)
        keeper.warned.connect(lambda title, text: self.show_message("warning", title, text))
        self.morph.export_done.connect(self.export_done)

        canvas = self.canvas
        canvas.drawing_changed.connect(self._on_canvas_changed)
        canvas.limit_reached.connect(lambda message: self.statusBar().showMessage(message, 10_000))
        canvas.history_changed.connect(self._update_history_actions)
        self.pen_slider.valueChanged.connect(lambda v: canvas.set_pen_scale(v / 100))
        self.undo_button.clicked.connect(canvas.undo)
        self.redo_button.clicked.connect(canvas.redo)
        self.clear_button.clicked.connect(self.clear_drawing)
        self.keep_button.clicked.connect(self.keep_drawing)
        self.resample_button.clicked.connect(self.resample)

        plane = self.plane
        plane.hovered.connect(self._on_hovered)
        plane.hover_left.connect(self._on_hover_left)
        plane.clicked.connect(self.add_pin)
        plane.pin_dragged.connect(workspace.move_pin)
        plane.pin_moved.connect(workspace.move_pin)
        plane.pin_remove_requested.connect(workspace.remove_pin)
        plane.pin_selected.connect(self._show_pin)
        plane.view_changed.connect(lambda *_: self._request_manifold())
        self.gallery_strip.clicked.connect(self.workspace.take_from_gallery)
        self.pin_strip.clicked.connect(lambda i: self._show_pin(self.workspace.pins()[i].id))
        self.pin_strip.remove_requested.connect(lambda i: self.workspace.remove_pin(self.workspace.pins()[i].id))
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
    def switch_model(self, name: str) -> None:
        """Load a model by name or checkpoint path on the worker; the window updates when ready."""
        if name not in self.actions.model_names():
            self.actions.populate_models(extra=name)  # a checkpoint opened by path
        self.statusBar().showMessage(f"Loading model {Path(name).name}…")
        self._pending_model = name
        self.client.load_model(name, self._view_setting(name))

    # ------------------------------------------------------------------ views of the latent space
    @staticmethod
    def _view_key(name: str) -> str:
        # Model names may be paths; a digest keeps them out of the settings file's groups.
        return "views/" + hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]

    def _view_setting(self, name: str) -> str:
        from vaedesk.latent.views import VIEW_KINDS

        kind = self.settings.value(self._view_key(name), "pca", type=str)
        return kind if kind in VIEW_KINDS else "pca"

    def set_view(self, kind: str) -> None:
        """Show the latent space in another view (``views.VIEW_KINDS``), remembered per model.

        Pins stay on the same latent points: they are moved to where the new view shows them.
        """
        info = self.model_info
        if info is None or info.latent_dim <= 2 or info.view.kind == kind:
            return
        self.settings.setValue(self._view_key(self._pending_model), kind)
        pins = self.workspace.pins()
        self._pins_to_place = (info.name, {pin.id: info.view.to_latent(np.array(pin.xy, np.float64))
                                           for pin in pins})
        what = "neighbourhood map (about a minute the first time for a model)" if kind == "neighbors" else "view"
        self.statusBar().showMessage(f"Fitting the {what}…")
        self.client.load_model(self._pending_model, kind)

    def open_model_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open checkpoint", "", "vaedesk models (*.safetensors *.json)")
        if path:
            self.switch_model(path)

    def _on_model_loaded(self, info: ModelInfo) -> None:
        self.model_info = info
        self.settings.setValue("model", self._pending_model)
        self.actions.check_model(self._pending_model)
        projection = info.view
        self.actions.check_view(projection.kind, info.latent_dim > 2)
        placing, self._pins_to_place = self._pins_to_place, None
        if placing is not None and placing[0] == info.name:
            for pin_id, latent in placing[1].items():
                if self.workspace.pin(pin_id) is not None:
                    x, y = projection.to_plane(latent)
                    self.workspace.move_pin(pin_id, float(x), float(y))
        self.plane.set_scatter(info.scatter_xy, info.scatter_labels, info.class_names)
        self.plane.set_axis_labels(*projection.axis_labels)
        self.plane.show_prior(tuple(projection.to_plane(np.zeros((1, info.latent_dim)))[0]),
                              show=projection.keeps_prior_shape)
        self.plane.set_posterior(None)
        self.plane.reset_view()
        self.last_encode = None
        self.traversal_view.clear()
        is_vae = info.kind == "vae"
        self.resample_button.setEnabled(is_vae)
        self.actions.resample.setEnabled(is_vae)
        metrics = info.card.get("metrics", {})
        quality = f" — test −ELBO {metrics['neg_elbo']:.1f} nats" if "neg_elbo" in metrics else ""
        note = f" ({info.data_note})" if info.data_note else ""
        if self.autosave.restored_note:
            note, self.autosave.restored_note = f"{note}; {self.autosave.restored_note}", ""
        self.statusBar().showMessage(
            f"Model {info.name} ready: {info.kind.upper()}, {info.latent_dim}-d latent{quality}{note}")
        self.setWindowTitle(f"vaedesk — {info.name}")
        self._encode_current()
        self._request_pins()
        self._request_manifold()
        self.morph.request_preview()
        self.lens.set_axis_labels(*projection.axis_labels)
        self.plane.set_density(None)
        if self.actions.aggregate_density.isChecked():
            self.client.density()
        # torch, Qt and pyqtgraph leave ~240k long-lived objects that every full garbage
        # collection walks again: 50-100 ms pauses in the middle of a stroke. Freezing
        # them once everything is loaded takes them out of future collections.
        gc.freeze()
        self.model_ready.emit(info.name)

    # ------------------------------------------------------------------ drawing
    def _on_canvas_changed(self, strokes: list[np.ndarray]) -> None:
        self._canvas_edit = True
        try:
            self.workspace.set_strokes(strokes, self.canvas.model_pen_width())
        except VaedeskError as exc:  # cannot happen: the canvas keeps to the same limits
            self.statusBar().showMessage(str(exc), 8000)
        finally:
            self._canvas_edit = False

    def _on_drawing_changed(self) -> None:
        self._subject_pin = None  # the Dimensions and Arithmetic tabs follow the pen again
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
        self._encode_current()

    def _encode_current(self, new_samples: bool = False) -> None:
        if self.model_info is None:
            return
        drawing = self.workspace.drawing
        if drawing.is_empty():
            self.client.forget(Channel.ENCODE)
            self.latest_encode_id = 0
            self._show_no_drawing()
            return
        self.latest_encode_id = self.client.encode(drawing, new_samples=new_samples)
        if self.canvas.is_drawing():
            self.client.forget(Channel.LIKELIHOOD)  # of a drawing the pen is still changing
            if not self._insight_timer.isActive():
                self._insight_timer.start()
        else:  # finished (pen lifted, imported, restored): the slower, tighter estimate too
            self._insight_timer.stop()
            self.client.likelihood(drawing)

    def _request_insight(self) -> None:
        """While drawing: the explanation and the lens' decodings of the drawing so far."""
        if self.model_info is not None and not self.workspace.drawing.is_empty():
            self.client.insight(self.workspace.drawing)
            self._request_lens()

    def _show_no_drawing(self) -> None:
        self.last_encode = None
        self.last_report = None
        self._neighbours = None
        self._request_traversal()
        self.subject_changed.emit()
        self.lens.set_none()
        self.plane.set_lens_rect(None)
        self._show_explanation()
        self.plane.set_posterior(None)
        self.plane.setAccessibleDescription(PLANE_DESCRIPTION)
        self.input_view.set_image(None)
        self.recon_view.set_image(None)
        self.samples.set_images([None] * SAMPLE_COUNT)
        self.readout.setText("Draw a digit to see its posterior q(z|x).")

    def _on_encoded(self, result: EncodeResult) -> None:
        self.last_encode = result
        self.input_view.set_image(result.input)
        samples_xy = result.samples_xy if len(result.samples_xy) else None
        self.plane.set_posterior(result.mean_xy, result.cov_xy, samples_xy)
        x, y = result.mean_xy
        self.plane.setAccessibleDescription(f"Your drawing lands at ({x:+.2f}, {y:+.2f}). {PLANE_DESCRIPTION}")
        self.readout.setText(describe_posterior(result))
        if self.lens.isVisible():  # else shown when its tab is (_show_lens)
            self._show_lens()
        if self._subject_pin is None:  # else a pin stays the subject until the drawing changes
            self._request_traversal()
            self.subject_changed.emit()
        self.posterior_changed.emit(result.posterior)

    def _on_tab_changed(self, index: int) -> None:
        if index == 1:
            self._show_lens()
        else:  # the outline on the plane marks what the lens shows
            self.plane.set_lens_rect(None)
        self._show_explanation()
        self._request_traversal()

    # ------------------------------------------------------------------ traversals
    def _request_traversal(self) -> None:
        """Sweep the dimensions of what the Dimensions tab is about (the drawing, or the
        selected pin), when the tab is shown: the sweep costs a decoding per row and step."""
        if self.model_info is None or not self.traversal_view.isVisible():
            return
        source = self._subject_pin
        if source is not None:
            pin = self.workspace.pin(source)
            if pin is not None:
                self.client.traversal(xy=pin.xy)
                return
        if self.last_encode is not None:
            self.client.traversal(latent=self.last_encode.posterior.mean[0])
        else:
            self.client.forget(Channel.TRAVERSAL)
            self.traversal_view.clear()

    def model_key(self) -> str:
        """The shown model as the session and settings name it (a name or a checkpoint path)."""
        return self._pending_model

    def subject_latent(self) -> tuple[np.ndarray, str] | None:
        """What the Dimensions and Arithmetic tabs edit, as (latent (D,), what it is): the
        selected pin, else the drawing's posterior mean; None when there is neither."""
        info = self.model_info
        if info is None:
            return None
        pin = self.workspace.pin(self._subject_pin) if self._subject_pin is not None else None
        if pin is not None:
            latent = info.view.to_latent(np.array([pin.xy], np.float64))[0]
            return latent, f"pin {self.workspace.pin_number(pin.id)}"
        if self.last_encode is not None:
            return self.last_encode.posterior.mean[0], "your drawing"
        return None

    def _on_latent_edited(self, latent: np.ndarray) -> None:
        if self.model_info is not None:
            self.client.decode_latent(latent)

    def save_traversal(self, fmt: str, path: str | None = None) -> bool:
        """Save the shown traversal as a GIF or a PNG grid (asks where unless ``path``)."""
        from vaedesk.latent.traversal import save_traversal

        traversal = self.traversal_view.traversal
        if traversal is None:
            return False
        if path is None:
            name = f"traversal.{fmt}"
            path, _ = QFileDialog.getSaveFileName(self, "Save traversal", name, f"{fmt.upper()} (*.{fmt})")
            if not path:
                return False
        try:
            written = save_traversal(traversal, path)
        except VaedeskError as exc:
            self.show_message("critical", "Could not save the traversal", str(exc))
            return False
        self.statusBar().showMessage(f"Saved {written}", 6000)
        return True

    def _show_explanation(self) -> None:
        """The explanation in the views the user can see (hidden ones catch up when shown:
        redrawing them costs the GUI thread while the pen moves)."""
        if self.loss_view.isVisible():
            self.loss_view.set_report(self.last_report)
        shown = self._neighbours
        if self.nearest_view.isVisible():
            if shown is None or self.last_report is None:
                self.nearest_view.set_neighbours(None, None)
            else:
                self.nearest_view.set_neighbours(shown.neighbour_images, shown.report.neighbour_labels,
                                                 names=self.model_info.class_names if self.model_info else None)

    def _show_lens(self) -> None:
        result = self.last_encode
        if result is None:
            self.lens.set_none()
        elif result.cov_xy is None:
            self.lens.set_autoencoder()
        else:
            self.lens.set_posterior(result.mean_xy, result.cov_xy, result.samples_xy if len(result.samples_xy) else None)
            if not self.canvas.is_drawing():  # while drawing, _request_insight asks for it
                self._request_lens()

    def _on_lens_view_changed(self, rect) -> None:
        self.plane.set_lens_rect(rect)
        if not self.canvas.is_drawing():
            self._request_lens()

    def _request_lens(self) -> None:
        result = self.last_encode
        if result is None or result.cov_xy is None or not self.lens.isVisible() or self.lens.view_rect() is None:
            return
        points, extent = self.lens.grid_points(LENS_GRID)
        self.client.lens(LensRequest(result.posterior.mean[0], result.mean_xy, points, LENS_GRID, extent))

    def _show_samples(self, result: DecodeResult) -> None:
        """The decodings of the shown posterior: its mean, then its samples."""
        self.recon_view.set_image(result.images[0])
        samples = list(result.images[1:])
        self.samples.set_images(samples if samples else [None] * SAMPLE_COUNT)
        self.samples_shown.emit(result.images)

    def clear_drawing(self) -> None:
        self.workspace.clear()

    def resample(self) -> None:
        if self.model_info is not None and self.model_info.kind == "vae" and not self.workspace.drawing.is_empty():
            self._encode_current(new_samples=True)

    def _update_history_actions(self) -> None:
        actions = getattr(self, "actions", None)
        for action, button, enabled in ((actions and actions.undo, self.undo_button, self.canvas.can_undo()),
                                        (actions and actions.redo, self.redo_button, self.canvas.can_redo())):
            if action:
                action.setEnabled(enabled)
            button.setEnabled(enabled)

    # ------------------------------------------------------------------ gallery
    def keep_drawing(self) -> int | None:
        """Keep the current drawing (or imported image) in the gallery; returns its index."""
        if self.last_encode is None:
            self.statusBar().showMessage("Nothing to keep: draw a digit first", 4000)
            return None
        try:
            index = self.workspace.keep(self.last_encode.input)
        except WorkspaceFull as exc:
            text = str(exc)
            self.show_message("warning", "Gallery full", f"{text[:1].upper()}{text[1:]}.")
            return None
        except VaedeskError as exc:
            self.statusBar().showMessage(str(exc), 4000)
            return None
        self.statusBar().showMessage(f"Kept drawing #{index + 1} in the gallery", 4000)
        return index

    def _show_gallery(self) -> None:
        inputs = self.workspace.gallery_inputs()
        self.gallery_strip.set_images(inputs, [f"#{i + 1}" for i in range(len(inputs))])

    # ------------------------------------------------------------------ plane: hover, pins, manifold
    def _on_hovered(self, x: float, y: float) -> None:
        if self.model_info is not None:
            self._hovering = True
            self.client.hover(x, y)

    def _on_hover_left(self) -> None:
        self._hovering = False
        self.plane.set_hover_marker(None)

    def add_pin(self, x: float, y: float) -> int | None:
        try:
            pin_id = self.workspace.add_pin(x, y)
        except VaedeskError as exc:
            self.statusBar().showMessage(str(exc), 6000)
            return None
        self._show_pin(pin_id)
        return pin_id

    def _on_pins_changed(self) -> None:
        pins = self.workspace.pins()
        self.plane.set_pins([(pin.id, pin.xy) for pin in pins])
        self._pin_images = {pid: image for pid, image in self._pin_images.items() if self.workspace.pin(pid)}
        self._request_pins()

    def _request_pins(self) -> None:
        if self.model_info is None:
            return
        pins = self.workspace.pins()
        self.client.decode_pins([pin.id for pin in pins], np.array([pin.xy for pin in pins]).reshape(-1, 2))

    def _show_pin(self, pin_id: int) -> None:
        """The user chose a pin: it is previewed, and the Dimensions and Arithmetic tabs edit it."""
        self._selected_pin = pin_id
        if self._subject_pin != pin_id:
            self._subject_pin = pin_id
            self._request_traversal()
            self.subject_changed.emit()
        self.plane.set_selected_pin(pin_id)
        self._preview_pin(pin_id)

    def _preview_pin(self, pin_id: int) -> None:
        image, pin = self._pin_images.get(pin_id), self.workspace.pin(pin_id)
        if image is not None and pin is not None:
            x, y = pin.xy
            self._set_preview(image, f"Pin {self.workspace.pin_number(pin_id)} at ({x:+.2f}, {y:+.2f})")

    def _set_preview(self, image: np.ndarray, caption: str) -> None:
        self.preview_view.set_image(image)
        self.preview_view.set_caption(caption)
        self.preview_changed.emit(image)

    def set_manifold_shown(self, on: bool) -> None:
        if on:
            self._request_manifold()
        else:
            self.plane.set_manifold(None, (0, 1), (0, 1))

    def _request_manifold(self) -> None:
        if self.model_info is None or not self.actions.manifold.isChecked():
            return
        x0, x1, y0, y1 = self.plane.view_rect()
        # A square region around the view keeps the grid's cells (and digits) square.
        cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) / 2
        self.client.manifold((cx - half, cx + half), (cy - half, cy + half), MANIFOLD_GRID)

    def _on_decoded(self, result: DecodeResult) -> None:
        if result.channel is Channel.SAMPLES:
            self._show_samples(result)
        elif result.channel is Channel.HOVER:
            if self._hovering:
                x, y = result.points[0]
                self._set_preview(result.images[0], f"Decoded at ({x:+.2f}, {y:+.2f})")
        elif result.channel is Channel.PINS:
            self._pin_images = dict(zip(result.ids, result.images))
            names = [f"Pin {i + 1} at ({x:+.2f}, {y:+.2f})" for i, (x, y) in enumerate(result.points)]
            self.pin_strip.set_images(list(result.images), [str(i + 1) for i in range(len(result.images))], names)
            if self._selected_pin in self._pin_images and not self._hovering:
                self._preview_pin(self._selected_pin)  # redecoded: shown anew, not chosen anew
        elif result.channel is Channel.GRID:
            if self.actions.manifold.isChecked():
                self.plane.set_manifold(result.tile, result.x_range, result.y_range)
        elif result.channel is Channel.LENS:
            if self.lens.view_rect() is not None:
                self.lens.set_grid(result.tile, (*result.x_range, *result.y_range))
        elif result.channel is Channel.LATENT and self.traversal_view.isVisible():  # else the Arithmetic tab's
            self.traversal_view.set_edited_image(result.images[0])
            self.plane.set_hover_marker(result.points[0])

    def _on_reported(self, result) -> None:
        if result.channel in (Channel.INSIGHT, Channel.LIKELIHOOD):
            if self.last_encode is None:
                return  # the drawing was cleared meanwhile
            self.last_report = result.report
            self._neighbours = result
            self._show_explanation()
        elif result.channel is Channel.DENSITY:
            if self.actions.aggregate_density.isChecked():
                self.plane.set_density(result.image, result.extent)
        elif result.channel is Channel.PRIOR_SAMPLES:
            self._show_prior_samples(result)
        elif result.channel is Channel.TRAVERSAL:
            source = self._subject_pin
            what = "your drawing" if source is None else f"pin {self.workspace.pin_number(source)}"
            self.traversal_view.set_traversal(result.traversal, what)
            self.client.decode_latent(result.traversal.origin)

    def _on_reference_ready(self, generation: int) -> None:
        if self.model_info is not None and generation == self.model_info.generation:
            self._encode_current()  # now with its explanation
            if self.actions.aggregate_density.isChecked():
                self.client.density()

    def _show_neighbour(self, index: int) -> None:
        shown = self._neighbours
        if shown is None or index >= len(shown.neighbour_images):
            return
        xy, label = shown.neighbour_xy[index], shown.report.neighbour_labels[index]
        self.plane.set_hover_marker(xy)
        number = int(shown.report.neighbours[index])
        self._set_preview(shown.neighbour_images[index], f"Training digit #{number} (label {label})")
        self.insight_tabs.setCurrentIndex(0)  # the preview shows it

    def set_density_shown(self, on: bool) -> None:
        if on and self.model_info is not None:
            self.client.density()
        else:
            self.plane.set_density(None)

    def sample_prior(self) -> None:
        if self.model_info is not None:
            self.client.prior_samples(SAMPLE_COUNT)

    def _show_prior_samples(self, result) -> None:
        dialog = QDialog(self)
        dialog.setObjectName("prior_samples")
        dialog.setWindowTitle("Fresh samples")
        layout = QVBoxLayout(dialog)
        for text, images in (("From the prior N(0, I): what a VAE generates", result.prior),
                             ("From the encoded training set (the aggregate posterior)", result.aggregate)):
            layout.addWidget(QLabel(text))
            strip = named(ImageStrip(len(images), tile_size=56, keyboard=True, item_name="Sample"), text,
                          "Decodings of fresh samples; arrow keys go from one to the next")
            strip.set_images(list(images))
            layout.addWidget(strip)
        note = QLabel("Where the two rows differ, the prior samples regions the encoder leaves empty.")
        note.setWordWrap(True)
        layout.addWidget(note)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self.prior_samples_dialog = dialog

    # ------------------------------------------------------------------ theme
    def theme(self) -> str:
        """The theme in use: "system", "light" or "dark"."""
        return self._theme

    def set_theme(self, name: str) -> None:
        """Give the app theme ``name`` now (View -> Theme) and remember it."""
        self._theme = apply_theme(name)
        self.actions.check_theme(self._theme)
        self.settings.setValue("theme", self._theme)
        self.settings.sync()

    def start_tour(self) -> None:
        self.tour.start(vae_steps(self))

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
        try:
            strokes = load_drawing(path)
            if strokes is not None:
                self.canvas.set_strokes(strokes)
            else:  # preprocessed once, here: a blank image fails with a clear message
                self.workspace.set_image(preprocess_image(load_image(path)))
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
        if not self._write_or_warn("Cannot save drawing", path, lambda: save_drawing(
                self.canvas.strokes(), path, ink_width=self.canvas.ink_width())):
            return False
        self.autosave.unsaved_drawings = False
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def export_plane_dialog(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(self, "Export the latent plane", "latent-plane.png", PLANE_FILTER)
        if path:
            try:
                path = str(plane_path(path, chosen))
            except VaedeskError as exc:
                self.show_message("warning", "Cannot export the plane", str(exc))
                return
            self.export_plane(path)

    def export_plane(self, path: str | os.PathLike) -> bool:
        """Save the latent plane as shown (axes, legend, overlays) as a .png or .svg picture."""
        written = self._write_or_warn("Cannot export the plane", path, lambda: export_plot(self.plane, path))
        if not written:
            return False
        self.statusBar().showMessage(f"Saved the plane as {written}", 5000)
        return True

    def _write_or_warn(self, title: str, path: str | os.PathLike, write):
        """Run ``write()``, which saves to ``path`` and returns the file written; on failure
        say why in one warning and return None."""
        try:
            result = write()
        except VaedeskError as exc:
            self.show_message("warning", title, str(exc))
            return None
        except OSError as exc:
            self.show_message("warning", title, f"{path}: {exc.strerror or exc}")
            return None
        return result

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
            log.warning("%s: %s", title, " ".join(text.split()))  # what the user was told, for a bug report
            self.error_shown.emit(text)
        return box

    def open_messages(self) -> list[QMessageBox]:
        """The message boxes open now, oldest first."""
        return list(self._messages)

    def _on_failed(self, channel: Channel, message: str) -> None:
        if channel is Channel.LOAD:
            self.statusBar().showMessage("Model could not be loaded", 8000)
            self.show_message("critical", "Cannot load model", message)
            if self.model_info is None and self._pending_model != DEFAULT_MODEL:
                self.switch_model(DEFAULT_MODEL)  # e.g. a remembered checkpoint was deleted
            elif self.model_info is not None:
                self._pending_model = self.settings.value("model", DEFAULT_MODEL, type=str)
                self.actions.check_model(self._pending_model)
            return
        if channel is Channel.EXPORT:
            self.morph.export_failed(message)
            return
        if channel in (Channel.INSIGHT, Channel.LIKELIHOOD, Channel.LENS):
            self.statusBar().showMessage(message, 8000)  # the posterior itself is still shown
            return
        if channel is Channel.ATTRIBUTE:  # the user pressed Compute: say why nothing came
            self.show_message("warning", "Could not compute the attribute", f"{message[:1].upper()}{message[1:]}.")
            return
        self.statusBar().showMessage(f"{channel.value}: {message}", 8000)
        if channel in (Channel.MORPH, Channel.ENCODE):
            self.show_message("warning", "Model error", message)

    def _on_autosave_failed(self, message: str) -> None:
        self.show_message("warning", "Autosave failed",
                          f"Your work could not be saved to the session file: {message}\n\n"
                          "Until this is fixed, save drawings you want to keep with File → Save drawing. "
                          "vaedesk tries again after every change.")
        self.autosave_label.setText(f"⚠ Autosave failed: {message}")
        self.autosave_label.show()

    def _on_autosave_recovered(self) -> None:
        self.autosave_label.hide()
        self.statusBar().showMessage("Autosave works again: your session is saved.", 8000)

    def show_about(self) -> QDialog:
        """The credits and the current model's card, formatted (gui.about); one dialog, reused."""
        from vaedesk.model.catalog import resolve_model_path
        from vaedesk.gui.dialogs.about import ModelCardDialog

        dialog = self.findChild(ModelCardDialog, "about_dialog")
        if dialog is None:
            dialog = ModelCardDialog(self)
        path = None
        if self.model_info is not None:
            try:  # its NAME.md, if that belongs to the loaded weights (else made from the card)
                path = resolve_model_path(self._pending_model)
            except VaedeskError:
                pass
        dialog.show_card(path, self.model_info.card if self.model_info else None)
        dialog.show()
        dialog.raise_()
        return dialog

    # ------------------------------------------------------------------ training studio
    def open_training(self) -> TrainingPanel:
        """Show the training studio (created on first use: it owns the training thread)."""
        if self.training_panel is None:
            from vaedesk.gui.studio.panel import TrainingPanel  # the studio's plots load on first use

            self.training_panel = TrainingPanel(self)
            self.training_panel.model_saved.connect(self._on_model_trained)
            self.posterior_changed.connect(self._send_drawing_to_training)
            self._send_drawing_to_training()
        self.training_panel.show()
        self.training_panel.raise_()
        self.training_panel.activateWindow()
        return self.training_panel

    def _send_drawing_to_training(self, _posterior: object = None) -> None:
        drawing = self.last_encode.input if self.last_encode is not None else None
        self.training_panel.set_drawing(drawing)

    def _on_model_trained(self, path: str) -> None:
        self.actions.populate_models()
        self.actions.check_model(self._pending_model)
        self.statusBar().showMessage(f"Trained {Path(path).stem}: choose it in the Model menu to explore it.")

    # ------------------------------------------------------------------ lifetime
    def confirm_close(self) -> bool:
        """Ask before closing during a training run, or with drawings never saved to a file
        (always when the session cannot be saved); True to close."""
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
        question = self.autosave.close_question()
        if question is None:
            return True
        text, at_risk = question
        if not at_risk and self.settings.value("ask_on_close", True, type=bool) is False:
            return True
        box = QMessageBox(QMessageBox.Icon.Question, "Close vaedesk", text, parent=self)
        box.setObjectName("close_question")
        close = box.addButton("Close", QMessageBox.ButtonRole.AcceptRole)
        save = box.addButton("Save drawing…", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(close)
        never = named(QCheckBox("Don't ask again"), "Don't ask again", "Close without this question from now on")
        if not at_risk:  # a warning of lost work is never switched off
            box.setCheckBox(never)
        box.exec()
        if never.isChecked():
            self.settings.setValue("ask_on_close", False)
        if box.clickedButton() is save:
            self.save_drawing_dialog()
            return not self.autosave.unsaved_drawings
        return box.clickedButton() is close

    def quit(self) -> None:
        if self.confirm_close():
            self._close_confirmed = True
            self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        # A close by the user (window manager) asks first; a close from code (tests, the
        # screenshot mode) does not. Either way the session is written before anything stops.
        if event.spontaneous() and not self._close_confirmed and not self.confirm_close():
            event.ignore()
            return
        self.autosave.save()
        self._save_settings()
        self.morph_panel.play.setChecked(False)
        self.tour.stop()
        if self.training_panel is not None:
            self.training_panel.shutdown()
            self.training_panel.close()
        self.client.stop()
        for box in list(self._messages):
            box.close()
        super().closeEvent(event)


def describe_posterior(result: EncodeResult) -> str:
    """The readout under the canvas: μ and σ per dimension (the first 8) and the KL."""
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
    columns = [rows[i] + ("    " + rows[i + 1] if i + 1 < len(rows) else "") for i in range(0, len(rows), 2)]
    return "\n".join(columns) + f"\nKL(q‖N(0,I)) = {float(posterior.kl()[0]):.2f} nats"


def _scrolled(content: QWidget, name: str) -> QScrollArea:
    """``content`` in a scroll area that follows its width (a tab taller than the window), named ``name``."""
    scroll = named(QScrollArea(), name, f"The {name} tab; scrolls when taller than the window")
    scroll.setWidgetResizable(True)
    scroll.setWidget(content)
    return scroll
