"""The main window: it lays out the panels, creates the controllers and wires them.

The user's state (drawing, gallery, pins, morph endpoints) is in :attr:`MainWindow.workspace`
(Qt-free); every model computation runs in the model process behind :attr:`MainWindow.client`,
whose results each controller subscribes to on its own channels. The controllers
(:mod:`vaedesk.gui.controllers`) hold the behaviour; the window's public methods are the
user's actions (the slots of :mod:`.actions`' menus) and hand each to its controller.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QDialog, QLabel, QMainWindow, QMessageBox, QSplitter, QVBoxLayout, QWidget

from vaedesk.errors import VaedeskError
from vaedesk.gui.accessible import named
from vaedesk.gui.actions import WindowActions
from vaedesk.gui.client.model_client import WorkerClient
from vaedesk.gui.controllers.arithmetic import AttributeController
from vaedesk.gui.controllers.autosave import SessionKeeper
from vaedesk.gui.controllers.drawing import PLANE_DESCRIPTION, DrawingController
from vaedesk.gui.controllers.files import FilesController
from vaedesk.gui.controllers.insight import InsightController
from vaedesk.gui.controllers.model import ModelController
from vaedesk.gui.controllers.morph import MorphController
from vaedesk.gui.controllers.overlays import PlaneOverlays
from vaedesk.gui.controllers.pins import PinsController
from vaedesk.gui.controllers.preview import DecoderPreview
from vaedesk.gui.controllers.subject import Subject
from vaedesk.gui.dialogs.close_question import CloseAnswer, ask_close, ask_stop_training
from vaedesk.gui.dialogs.messages import MessageBoxes
from vaedesk.gui.dialogs.tour import TourPanel, vae_steps
from vaedesk.gui.plane.widget import LatentPlane
from vaedesk.gui.settings import open_settings, restore_window, save_window
from vaedesk.gui.theme import apply_theme, set_text_color
from vaedesk.gui.widgets.insight_tabs import ARITHMETIC_TAB, DECODE_TAB, DIMENSIONS_TAB, InsightTabs
from vaedesk.gui.widgets.morph_panel import MorphPanel
from vaedesk.gui.widgets.panels import DrawPanel, PosteriorPanel, PreviewPanel
from vaedesk.model.catalog import DEFAULT_MODEL
from vaedesk.service.model_service import SAMPLE_COUNT
from vaedesk.service.protocol import EncodeResult, ModelInfo
from vaedesk.state.workspace import Workspace
from vaedesk.support.palettes import DEFAULT_THEME

if TYPE_CHECKING:
    from vaedesk.gui.studio.panel import TrainingPanel


class MainWindow(QMainWindow):
    """vaedesk's window. ``posterior_changed`` fires with each newly shown encoding."""

    posterior_changed = Signal(object)  # model.Posterior, batch of one
    model_ready = Signal(str)  # model name, once its plane is shown
    preview_changed = Signal(object)  # (28, 28): a hovered point, pin or training digit in the decoder preview
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
        self._theme = apply_theme(str(self.settings.value("theme", DEFAULT_THEME, type=str)))
        self.workspace = Workspace()
        self.client = WorkerClient(self)
        self.messages = MessageBoxes(self)
        self.training_panel: TrainingPanel | None = None
        self._close_confirmed = False  # by the Quit action, so closeEvent does not ask again
        self._build_layout()
        self._create_controllers(model or str(self.settings.value("model", DEFAULT_MODEL, type=str)))
        self.window_actions = WindowActions(self)
        self.window_actions.check_theme(self._theme)
        self._wire()
        self.draw_panel.set_pen_scale(restore_window(self.settings, self))
        self.autosave.restore()
        self.switch_model(self.models.key)

    # ------------------------------------------------------------------ layout
    def _build_layout(self) -> None:
        draw, posterior, preview = self.draw_panel, self.posterior_panel, self.preview_panel = (
            DrawPanel(), PosteriorPanel(SAMPLE_COUNT), PreviewPanel())
        self.canvas, self.pen_slider, self.input_view = draw.canvas, draw.pen_slider, draw.input_view
        self.undo_button, self.redo_button = draw.undo_button, draw.redo_button
        self.clear_button, self.keep_button = draw.clear_button, draw.keep_button
        self.readout, self.samples = posterior.readout, posterior.samples
        self.resample_button = posterior.resample_button
        self.preview_box, self.preview_view, self.recon_view = preview, preview.preview_view, preview.recon_view
        self.pin_strip, self.gallery_strip = preview.pin_strip, preview.gallery_strip
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(draw, 1)
        left_layout.addWidget(posterior)

        self.plane = named(LatentPlane(), "Latent plane", PLANE_DESCRIPTION)

        self.morph_panel = MorphPanel()
        decode_tab = QWidget()
        decode_layout = QVBoxLayout(decode_tab)
        decode_layout.setContentsMargins(0, 0, 0, 0)
        decode_layout.addWidget(preview, 1)
        decode_layout.addWidget(self.morph_panel, 1)
        tabs = self.insight_tabs = InsightTabs(decode_tab)
        self.lens, self.loss_view, self.nearest_view = tabs.lens, tabs.loss_view, tabs.nearest_view
        self.traversal_view, self.attribute_panel = tabs.traversal_view, tabs.attribute_panel

        splitter = self.splitter = QSplitter()
        panes: tuple[tuple[QWidget, int], ...] = ((left, 0), (self.plane, 1), (tabs, 0))  # (pane, stretch)
        for index, (widget, stretch) in enumerate(panes):
            splitter.addWidget(widget)
            splitter.setStretchFactor(index, stretch)
        splitter.setSizes([340, 640, 300])
        self.setCentralWidget(splitter)
        self.autosave_label = QLabel()
        self.autosave_label.setObjectName("autosave_status")
        set_text_color(self.autosave_label, "error")
        self.autosave_label.hide()
        self.statusBar().addPermanentWidget(self.autosave_label)
        self.statusBar().showMessage("Loading model…")
        self.tour = TourPanel(self)

    def _create_controllers(self, model: str) -> None:
        client, workspace, plane = self.client, self.workspace, self.plane
        status, messages = self.statusBar(), self.messages
        self.autosave = SessionKeeper(workspace, lambda: self.models.key, self)
        self.models = ModelController(client, workspace, plane, self.settings, status, messages, model, self)
        # Before the drawing's controller: a changed drawing makes the drawing the subject again first.
        self.subject = Subject(workspace, self.models, self)
        self.drawing = DrawingController(client, workspace, self.models, self.draw_panel, self.posterior_panel,
                                         self.preview_panel, plane, status, messages, self)
        self.drawing.posterior_shown.connect(self.subject.set_posterior)
        self.pins = PinsController(client, workspace, self.models, self.subject, plane, self.preview_panel, status,
                                   self)
        self.preview = DecoderPreview(self.preview_panel, plane, workspace, self.drawing, self.pins, self)
        self.insight = InsightController(client, workspace, self.models, self.drawing, self.subject,
                                         self.insight_tabs, plane, status, messages, self)
        self.overlays = PlaneOverlays(client, self.models, plane, status, self)
        self.files = FilesController(workspace, self.canvas, plane, self.autosave, messages, status, self)
        self.morph = MorphController(client, workspace, self.models, self.morph_panel, plane, self.drawing.keep,
                                     status, messages, self)
        self.arithmetic = AttributeController(client, workspace, self.models, self.drawing, self.subject,
                                              self.insight_tabs, plane, status, messages, self)

    def _wire(self) -> None:
        self.models.shown.connect(self._on_model_shown)
        self.models.reverted.connect(self.window_actions.check_model)
        self.models.view_kept.connect(lambda kind: self.window_actions.check_view(kind, True))
        self.drawing.posterior_shown.connect(self._pass_on_posterior)
        self.drawing.samples_shown.connect(self.samples_shown)
        self.subject.changed.connect(self.subject_changed)
        self.pins.preview_changed.connect(self.preview_changed)
        self.insight.neighbour_chosen.connect(self._preview_neighbour)
        self.insight_tabs.term_requested.connect(self.show_glossary)
        self.morph.export_done.connect(self.export_done)
        self.messages.error_shown.connect(self.error_shown)
        keeper = self.autosave
        keeper.saved.connect(self.session_saved)
        keeper.failed.connect(self._on_autosave_failed)
        keeper.recovered.connect(self._on_autosave_recovered)
        keeper.warned.connect(lambda title, text: self.show_message("warning", title, text))
        self.canvas.history_changed.connect(self._update_history_actions)
        self._update_history_actions()

    def _pass_on_posterior(self, result: EncodeResult | None) -> None:
        if result is not None:
            self.posterior_changed.emit(result.posterior)

    def _on_model_shown(self, info: ModelInfo) -> None:
        """A model (or another view of it) is shown: the one place that decides what of the
        last one is stale. Everything a panel showed of it goes, in this order, and each panel
        asks for the new model's result for the current drawing (saying it is computing) or
        invites the user to draw; results of the last model that are still on their way are
        dropped by the client."""
        self.window_actions.check_model(self.models.key)
        self.window_actions.check_view(info.view.kind, info.latent_dim > 2)
        is_vae = info.kind == "vae"
        self.resample_button.setEnabled(is_vae)
        self.window_actions.resample.setEnabled(is_vae)
        note, self.autosave.restored_note = self.autosave.restored_note, ""
        # Replaces whatever was being computed: the last model's work will not be shown.
        self.statusBar().showMessage(self.models.ready_text(info, note))
        self.setWindowTitle(f"vaedesk — {info.name}")
        self.plane.set_hover_marker(None)  # a point the last model decoded (tabs put theirs back)
        self.drawing.show_model()  # the posterior, its readout and decodings: encoded afresh
        self.preview.show_drawing()  # no hovered point or pin of the last model: the drawing's reconstruction
        self.insight.show_model()  # lens, loss breakdown, nearest digits, traversal
        self.pins.request()
        self.overlays.show_model()
        self.morph.request_preview()
        self.arithmetic.show_model()
        self.model_ready.emit(info.name)

    def _preview_neighbour(self, image: np.ndarray, caption: str) -> None:
        self.pins.set_preview(image, caption)
        self.insight_tabs.setCurrentIndex(DECODE_TAB)  # the preview shows it

    def _update_history_actions(self) -> None:
        for action, button, enabled in ((self.window_actions.undo, self.undo_button, self.canvas.can_undo()),
                                        (self.window_actions.redo, self.redo_button, self.canvas.can_redo())):
            action.setEnabled(enabled)
            button.setEnabled(enabled)

    # ------------------------------------------------------------------ what the controllers show
    @property
    def model_info(self) -> ModelInfo | None:
        """The shown model (None until one has loaded)."""
        return self.models.info

    @property
    def last_encode(self) -> EncodeResult | None:
        """The shown posterior (None: none)."""
        return self.drawing.last_encode

    @property
    def latest_encode_id(self) -> int:
        """The newest encoding asked for; 0 while there is no drawing."""
        return self.drawing.latest_encode_id

    @property
    def last_report(self):
        """The explanation (DrawingReport) of the drawing shown, once computed."""
        return self.insight.last_report

    def model_key(self) -> str:
        """The shown model as the session and settings name it (a name or a checkpoint path)."""
        return self.models.key

    def subject_latent(self) -> tuple[np.ndarray, str] | None:
        """What the Dimensions and Arithmetic tabs edit, as (latent (D,), what it is): the
        selected pin, else the drawing's posterior mean; None when there is neither."""
        return self.subject.latent()

    # ------------------------------------------------------------------ the user's actions
    def show_insight(self, widget: QWidget | None = None) -> None:
        """Bring the posterior lens and the loss breakdown to the front (scrolled to ``widget``)."""
        self.insight_tabs.show_distribution(widget)

    def show_traversals(self) -> None:
        self.insight_tabs.setCurrentIndex(DIMENSIONS_TAB)

    def show_arithmetic(self) -> None:
        self.insight_tabs.setCurrentIndex(ARITHMETIC_TAB)

    def switch_model(self, name: str) -> None:
        """Load a model by name or checkpoint path; the window updates when it is ready."""
        if name not in self.window_actions.model_names():
            self.window_actions.populate_models(extra=name)  # a checkpoint opened by path
        self.models.switch(name)

    def set_view(self, kind: str) -> None:
        """Show the latent space in another view, remembered per model; pins stay on their latent points."""
        self.models.set_view(kind)

    def open_model_dialog(self) -> None:
        path = self.files.choose_checkpoint()
        if path:
            self.switch_model(path)

    def clear_drawing(self) -> None:
        self.drawing.clear()

    def resample(self) -> None:
        self.drawing.resample()

    def keep_drawing(self) -> int | None:
        """Keep the current drawing (or imported image) in the gallery; returns its index."""
        return self.drawing.keep()

    def add_pin(self, x: float, y: float) -> int | None:
        return self.pins.add(x, y)

    def save_traversal(self, fmt: str, path: str | None = None) -> bool:
        """Save the shown traversal as a GIF or a PNG grid (asks where unless ``path``)."""
        return self.insight.save_traversal(fmt, path)

    def set_manifold_shown(self, on: bool) -> None:
        self.overlays.set_manifold_shown(on)

    def set_density_shown(self, on: bool) -> None:
        self.overlays.set_density_shown(on)

    def sample_prior(self) -> None:
        self.overlays.sample_prior()

    def theme(self) -> str:
        """The theme in use: "system", "light" or "dark"."""
        return self._theme

    def set_theme(self, name: str) -> None:
        """Give the app theme ``name`` now (View -> Theme) and remember it."""
        self._theme = apply_theme(name)
        self.window_actions.check_theme(self._theme)
        self.settings.setValue("theme", self._theme)
        self.settings.sync()

    def start_tour(self) -> None:
        self.tour.start(vae_steps(self))

    # ------------------------------------------------------------------ files
    def open_drawing_dialog(self) -> None:
        self.files.open_drawing_dialog()

    def open_image_dialog(self) -> None:
        self.files.open_image_dialog()

    def open_file(self, path: str | os.PathLike) -> bool:
        """Open a saved drawing (restores its strokes) or import any image of a digit."""
        return self.files.open_file(path)

    def save_drawing_dialog(self) -> None:
        self.files.save_drawing_dialog()

    def save_drawing(self, path: str | os.PathLike) -> bool:
        return self.files.save_drawing(path)

    def export_plane_dialog(self) -> None:
        self.files.export_plane_dialog()

    def export_plane(self, path: str | os.PathLike) -> bool:
        """Save the latent plane as shown (axes, legend, overlays) as a .png or .svg picture."""
        return self.files.export_plane(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.files.open_dropped(event.mimeData().urls()):
            event.acceptProposedAction()

    # ------------------------------------------------------------------ messages
    def show_message(self, kind: str, title: str, text: str) -> QMessageBox:
        """A non-blocking message box (the app keeps running behind it)."""
        return self.messages.show(kind, title, text)

    def open_messages(self) -> list[QMessageBox]:
        """The message boxes open now, oldest first."""
        return self.messages.open_boxes()

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

    def show_compare(self) -> QWidget:
        """*Compare models*: the current model beside another, on the same drawing (one window)."""
        from vaedesk.gui.dialogs.compare import CompareWindow

        window = self.findChild(CompareWindow, "compare_view")
        if window is None:
            current = self.model_info.name if self.model_info is not None else ""
            window = CompareWindow(self.workspace, self.window_actions.model_names(), current, self)
            window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.show()
        window.raise_()
        return window

    def show_about(self) -> QDialog:
        """The credits and the current model's card, formatted (gui.about); one dialog, reused."""
        from vaedesk.gui.dialogs.about import ModelCardDialog
        from vaedesk.model.catalog import resolve_model_path

        dialog = self.findChild(ModelCardDialog, "about_dialog")
        if dialog is None:
            dialog = ModelCardDialog(self)
        info, path = self.models.info, None
        if info is not None:
            try:  # its NAME.md, if that belongs to the loaded weights (else made from the card)
                path = resolve_model_path(self.models.key)
            except VaedeskError:
                pass
        dialog.show_card(path, info.card if info else None)
        dialog.show()
        dialog.raise_()
        return dialog

    def show_glossary(self, key: str | None = None) -> QDialog:
        """Help → Glossary, opened at the term ``key`` (a vaedesk.insight.glossary key) and
        highlighting it; None: from the top. One dialog per window, reused."""
        from vaedesk.gui.dialogs.glossary import GlossaryDialog

        dialog = self.findChild(GlossaryDialog, "glossary")
        if dialog is None:
            dialog = GlossaryDialog(self)
        dialog.show_term(key)
        return dialog

    # ------------------------------------------------------------------ training studio
    def open_training(self) -> TrainingPanel:
        """Show the training studio (created on first use: it owns the training process)."""
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
        assert self.training_panel is not None  # connected once the studio exists
        shown = self.drawing.last_encode
        self.training_panel.set_drawing(shown.input if shown is not None else None)

    def _on_model_trained(self, path: str) -> None:
        self.window_actions.populate_models()
        self.window_actions.check_model(self.models.key)
        self.statusBar().showMessage(f"Trained {Path(path).stem}: choose it in the Model menu to explore it.")

    # ------------------------------------------------------------------ lifetime
    def confirm_close(self) -> bool:
        """Ask before closing during a training run, or with drawings never saved to a file
        (always when the session cannot be saved); True to close."""
        if self.training_panel is not None and self.training_panel.is_running() and not ask_stop_training(self):
            return False
        question = self.autosave.close_question()
        if question is None:
            return True
        text, at_risk = question
        if not at_risk and self.settings.value("ask_on_close", True, type=bool) is False:
            return True
        answer, never = ask_close(self, text, at_risk)
        if never:
            self.settings.setValue("ask_on_close", False)
        if answer is CloseAnswer.SAVE:
            self.save_drawing_dialog()
            return not self.autosave.unsaved_drawings
        return answer is CloseAnswer.CLOSE

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
        save_window(self.settings, self, self.canvas.pen_scale)
        self.morph_panel.play.setChecked(False)
        self.tour.stop()
        for child in self.findChildren(QWidget, "compare_view"):
            child.close()
        if self.training_panel is not None:
            self.training_panel.shutdown()
            self.training_panel.close()
        self.client.stop()
        self.messages.close_all()
        super().closeEvent(event)
