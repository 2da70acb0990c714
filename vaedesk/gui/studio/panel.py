"""The training studio: train a VAE in the app and watch its loss terms and latent space.

A window of its own (objectName ``training_panel``): settings on the left, live curves of
the reconstruction and KL terms in the middle, and on the right a latent plane re-encoded
with the current weights at least once an epoch and ten times a run (at most a few hundred
steps apart), with the user's drawing and a hover preview decoded by those same weights.
Training runs in a process of its own
(:class:`vaedesk.gui.client.training_client.TrainingWorker`), which also decodes the hover
preview, during the run and after it: this widget only shows what it reports, and the
window's process never imports PyTorch.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

import vaedesk.gui  # noqa: F401  (selects the PySide6 binding before pyqtgraph loads)
from vaedesk.data.datasets import FASHION_MNIST_DIR, MAX_CLASSES, class_names
from vaedesk.errors import DataError, ModelError
from vaedesk.gui.accessible import named
from vaedesk.gui.client.training_client import TrainingWorker
from vaedesk.gui.plane.widget import LatentPlane
from vaedesk.gui.plotting.grid_lines import show_grid
from vaedesk.gui.plotting.lean_axis import lean_axes
from vaedesk.gui.plotting.markers import Markers, symbol_path
from vaedesk.gui.plotting.ranges import steady_range
from vaedesk.gui.plotting.style import cache_decorations
from vaedesk.gui.theme import PlotColors, on_palette_change, recolor_plot, severity_qcolor
from vaedesk.gui.widgets.images import DigitView
from vaedesk.insight.diagnostics import Diagnosis, Measured, diagnose, divergence
from vaedesk.model.card import read_card
from vaedesk.model.catalog import list_models, model_files, resolve_model_path
from vaedesk.service.protocol import Snapshot
from vaedesk.support.paths import user_models_dir
from vaedesk.training.checkpoint import InterruptedRun, interrupted_runs
from vaedesk.training.config import TrainConfig, TrainingError

# A VAE's cloud is framed with the prior's 3σ in view: the KL term is seen drawing it in.
PRIOR_REACH = 3.0
_SMOOTHING = 0.9  # exponential moving average of the per-report losses
REDRAW_MS = 60  # one plot (in turn) and the texts are redrawn at most this often while a run reports
# The sum is drawn in the plots' text colour (None): near black on light, near white on dark.
_TERMS = (("recon", "reconstruction", (0, 114, 178)), ("kl", "KL", (213, 94, 0)), ("total", "sum", None))


class TrainingPanel(QWidget):
    """Settings, controls, live curves and latent plane of one training run at a time.

    Signals: ``model_saved(path)`` when a run finished and saved its model, ``run_ended(how)``
    with "finished", "cancelled" or "failed".
    """

    model_saved = Signal(str)
    run_ended = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("training_panel")
        self.setWindowTitle("vaedesk — training studio")
        self.worker = TrainingWorker(self)
        self._redraw_timer = QTimer(self, interval=REDRAW_MS)
        self._redraw_timer.timeout.connect(self._redraw)
        self._data_dir: str | None = None
        self._reset_run_state()
        self._build()
        self._connect()
        self._update_buttons(running=False)

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.dataset = QComboBox(objectName="train_dataset")
        self.dataset.addItem("MNIST digits (bundled)", None)
        if FASHION_MNIST_DIR.is_dir():
            self.dataset.addItem("Fashion-MNIST", str(FASHION_MNIST_DIR))
        self.dataset.addItem("Other IDX folder…", "choose")
        # A Quick, Draw! or image folder's categories: all of them, or those named here.
        self.categories = QLineEdit(objectName="train_categories", enabled=False)
        self.categories.setPlaceholderText("all")
        self.kind = QComboBox(objectName="train_kind")
        self.kind.addItem("VAE", "vae")
        self.kind.addItem("Plain autoencoder", "ae")
        self.latent = QSpinBox(objectName="train_latent", minimum=2, maximum=64, value=2)
        self.beta = _number_box("train_beta", 0.0, 100.0, 1.0, decimals=2, step=0.1)
        self.beta.setToolTip("Weight of the KL term. 0 switches the pull toward N(0, I) off; above 1 it is stronger.")
        self.epochs = QSpinBox(objectName="train_epochs", minimum=1, maximum=1000, value=10)
        self.batch = QSpinBox(objectName="train_batch", minimum=1, maximum=4096, value=128)
        self.lr = _number_box("train_lr", 1e-5, 1.0, 1e-3, decimals=5, step=1e-4)
        self.augment = QCheckBox("distort inputs", objectName="train_augment", checked=True)
        self.augment.setToolTip("Show the encoder rotated, slanted, warped, thinner or bolder digits, uniform-pen "
                                "re-drawings and (for digits) synthetic mouse drawings, so it also places people's "
                                "drawings well.")
        self.seed = QSpinBox(objectName="train_seed", minimum=0, maximum=2**31 - 1, value=0)
        self.limit = QSpinBox(objectName="train_limit", minimum=0, maximum=1_000_000, value=0, singleStep=1000)
        self.limit.setSpecialValueText("all")
        self.start_from = QComboBox(objectName="train_start_from")
        self.name = QLineEdit(objectName="train_name")
        self.name.setPlaceholderText("chosen from the settings")

        form = QFormLayout()
        for label, widget in (("Data", self.dataset), ("Categories", self.categories),
                              ("Model", self.kind), ("Latent dimensions", self.latent),
                              ("β (KL weight)", self.beta), ("Epochs", self.epochs), ("Batch size", self.batch),
                              ("Learning rate", self.lr), ("Augmentation", self.augment), ("Seed", self.seed),
                              ("Training images", self.limit), ("Start from", self.start_from),
                              ("Save as", self.name)):
            form.addRow(label, widget)
        for widget, name, description in (
                (self.dataset, "Training data", "The images to train on"),
                (self.categories, "Categories", "The categories of a Quick, Draw! or image folder to train on, "
                                                "separated by commas; all of them when empty"),
                (self.kind, "Model kind", "A VAE, or a plain autoencoder (no KL term, no sampling)"),
                (self.latent, "Latent dimensions", "How many numbers the encoder describes each image with"),
                (self.beta, "β, the KL weight", None),
                (self.epochs, "Epochs", "How many passes over the training images"),
                (self.batch, "Batch size", "Images per training step"),
                (self.lr, "Learning rate", "The optimiser's step size"),
                (self.augment, "Distort inputs", None),
                (self.seed, "Seed", "The random seed: the same seed and settings train the same model"),
                (self.limit, "Training images", "How many training images to use; all when 0"),
                (self.start_from, "Start from", "Train from scratch, or go on from the weights of a saved model"),
                (self.name, "Save as", "The new model's name; chosen from the settings when empty")):
            named(widget, name, description)
        self.start_button = QPushButton("Start", objectName="training_start")
        self.pause_button = QPushButton("Pause", objectName="training_pause", checkable=True)
        self.cancel_button = QPushButton("Cancel", objectName="training_cancel")
        # Not "Resume": that is what Pause says while a run is paused.
        self.resume_button = QPushButton("Continue an interrupted run…", objectName="training_resume")
        self.resume_button.setToolTip("Continue a run that was stopped before its last epoch (its checkpoint)")
        named(self.start_button, "Start training", "Train a model with these settings")
        named(self.pause_button, "Pause training", "Pause the run, or resume it while paused")
        named(self.cancel_button, "Cancel training", "Stop the run; the last complete epoch is kept")
        named(self.resume_button, "Continue an interrupted run")
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.cancel_button):
            buttons.addWidget(button)
        self.progress_bar = named(QProgressBar(objectName="train_progress"), "Training progress")
        self.status = QLabel("Choose settings and press Start.", objectName="train_status", wordWrap=True)
        self.command = QLabel(objectName="train_command", wordWrap=True)
        self.command.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.diagnosis = QLabel(objectName="train_diagnosis", wordWrap=True)
        self.diagnosis.setTextFormat(Qt.TextFormat.RichText)
        self.diagnoses: list[Diagnosis] = []
        on_palette_change(self.diagnosis, lambda: self._show_diagnoses(self.diagnoses), now=False)
        settings = QVBoxLayout()
        settings.addLayout(form)
        settings.addLayout(buttons)
        settings.addWidget(self.resume_button)
        settings.addWidget(self.progress_bar)
        settings.addWidget(self.status)
        settings.addWidget(self.command)
        settings.addWidget(self.diagnosis)
        settings.addStretch(1)
        left = QWidget()
        left.setLayout(settings)
        left.setFixedWidth(330)

        # Curves: per step (smoothed) on top, per epoch below with train solid and test dashed;
        # the KL term has its own plots because it is tens of times smaller than the rest.
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.epoch_marks: dict[str, Markers] = {}  # the dots of the per-epoch curves, by curve
        self.loss_plots: list[pg.PlotWidget] = []  # step loss, step KL, epoch loss, epoch KL
        grid = QGridLayout()
        for row, (when, x_label) in enumerate((("step", "step"), ("epoch", "epoch"))):
            for column, keys in enumerate((("recon", "total"), ("kl",))):
                what = "Loss" if column == 0 else "KL"
                plot = pg.PlotWidget(title=f"{what} per {when}", axisItems=lean_axes())
                plot.setObjectName(f"train_plot_{when}_{'recon' if column == 0 else 'kl'}")
                named(plot, f"{what} per {when}", f"The training curve of the {what if column else 'loss'} per {when}"
                      + (", smoothed" if when == "step" else ": training solid, test dashed"))
                plot.setLabel("bottom", x_label)
                plot.setLabel("left", "nats per image")
                show_grid(plot.getPlotItem(), 0.15)
                plot.setMinimumSize(220, 170)
                if when == "step" and column == 0:
                    plot.addLegend(offset=(-10, 10))
                color = (40, 40, 40)  # until _recolor_curves gives the palette's colours
                for key, label, _rgb in _TERMS:
                    if key not in keys:
                        continue
                    if when == "step":
                        self.curves[f"step_{key}"] = plot.plot(name=label, pen=pg.mkPen(color, width=2))
                        continue
                    for split, style in (("train", Qt.PenStyle.SolidLine), ("test", Qt.PenStyle.DashLine)):
                        name = f"{split}_{key}"
                        self.curves[name] = plot.plot(pen=pg.mkPen(color, width=2, style=style))
                        # A dot per epoch, as Markers: a pyqtgraph symbol curve re-planned its
                        # spots at each new epoch (5 ms, and 3 ms more at the next repaint).
                        self.epoch_marks[name] = Markers(symbol_path("o", 5), QPen(Qt.PenStyle.NoPen),
                                                         QBrush(QColor(*color)))
                        plot.addItem(self.epoch_marks[name])
                # The panel frames the curves itself (steady ranges, see _frame) until the
                # user pans or zooms a plot; pyqtgraph's autorange would redraw the axes at
                # every report.
                plot.getPlotItem().disableAutoRange()
                cache_decorations(plot.getPlotItem())
                index = len(self.loss_plots)
                plot.getViewBox().sigRangeChangedManually.connect(
                    lambda *_args, index=index: self._following.__setitem__(index, False))
                self.loss_plots.append(plot)
                grid.addWidget(plot, row, column)
                on_palette_change(plot, partial(self._recolor_plot, plot))
        curves = QVBoxLayout()
        curves.addLayout(grid)
        curves.addWidget(QLabel("Per step: smoothed over the last steps. Per epoch: training (solid) and test "
                                "(dashed) means; the sum is reconstruction + β·KL.", wordWrap=True))

        # The latent space under the current weights.
        self.plane = LatentPlane()
        self.plane.setObjectName("train_plane")
        named(self.plane, "Training latent plane", "The test set encoded by the weights being trained, "
                                                   "redrawn as training goes on")
        self.plane.setMinimumSize(360, 320)
        self.plane_caption = QLabel("The test set appears here once training starts.", wordWrap=True)
        self.drawing_view = named(DigitView(caption="Your drawing, decoded now"), "Your drawing, decoded now")
        self.hover_view = named(DigitView(caption="Hover the plane"), "Training plane preview")
        previews = QHBoxLayout()
        previews.addWidget(self.drawing_view)
        previews.addWidget(self.hover_view)
        right = QVBoxLayout()
        right.addWidget(self.plane, 1)
        right.addWidget(self.plane_caption)
        right.addLayout(previews)

        layout = QHBoxLayout(self)
        layout.addWidget(left)
        layout.addLayout(curves, 1)
        layout.addLayout(right, 1)
        self.resize(1500, 780)
        self.refresh_models()

    def _connect(self) -> None:
        self.start_button.clicked.connect(self.start)
        self.pause_button.toggled.connect(self._pause_toggled)
        self.cancel_button.clicked.connect(self.cancel)
        self.resume_button.clicked.connect(lambda: self.resume_run())
        self.dataset.activated.connect(self._dataset_chosen)
        for widget in (self.kind, self.dataset, self.start_from):
            widget.currentIndexChanged.connect(self._settings_changed)
        self.dataset.currentIndexChanged.connect(self._offer_categories)
        self.categories.textChanged.connect(self._settings_changed)
        for spin in (self.latent, self.beta, self.epochs, self.batch, self.lr, self.seed, self.limit):
            spin.valueChanged.connect(self._settings_changed)
        self.augment.toggled.connect(self._settings_changed)
        self.kind.currentIndexChanged.connect(lambda: self.beta.setEnabled(self.kind.currentData() == "vae"))
        self.start_from.currentIndexChanged.connect(self._start_from_changed)
        self.plane.hovered.connect(self._hovered)
        w = self.worker
        w.progress.connect(self._on_progress)
        w.snapshot.connect(self._on_snapshot)
        w.hover_decoded.connect(self._on_hover_decoded)
        w.checkpoint_saved.connect(self._on_checkpoint)
        w.finished.connect(self._on_finished)
        w.cancelled.connect(self._on_cancelled)
        w.failed.connect(self._on_failed)
        w.status.connect(self._on_status)
        self._settings_changed()

    # ------------------------------------------------------------------ settings
    def refresh_models(self) -> None:
        """Models a run can fine-tune (the kind and latent size must match)."""
        current = self.start_from.currentData()
        self.start_from.blockSignals(True)
        self.start_from.clear()
        self.start_from.addItem("new weights", None)
        for name in list_models():
            self.start_from.addItem(f"fine-tune {name}", name)
        index = self.start_from.findData(current)
        self.start_from.setCurrentIndex(max(index, 0))
        self.start_from.blockSignals(False)

    def _start_from_changed(self) -> None:
        """Fine-tuning keeps the parent's network: take its kind and latent size."""

        name = self.start_from.currentData()
        fixed = name is not None
        if fixed:
            try:
                card = read_card(model_files(resolve_model_path(name))[1])
            except ModelError as exc:
                self.status.setText(f"Cannot fine-tune {name}: {exc}")
                self.start_from.setCurrentIndex(0)
                return
            self.kind.setCurrentIndex(self.kind.findData(card["kind"]))
            self.latent.setValue(card["latent_dim"])
        self.kind.setEnabled(not fixed)
        self.latent.setEnabled(not fixed)

    def _dataset_chosen(self, index: int) -> None:
        if self.dataset.itemData(index) != "choose":
            return
        folder = QFileDialog.getExistingDirectory(
            self, "Data folder: MNIST IDX files, Quick, Draw! .npy files (at most 10), or images in class sub-folders")
        if folder:
            self.set_data_folder(folder)
        else:
            self.dataset.setCurrentIndex(0)

    def set_data_folder(self, folder: str | None) -> None:
        """Train on a data folder (see vaedesk.data.datasets.load_split; None: bundled MNIST)."""
        if folder is None:
            self.dataset.setCurrentIndex(0)
            return
        index = self.dataset.findData(folder)
        if index < 0:
            self.dataset.insertItem(self.dataset.count() - 1, Path(folder).name, folder)
            index = self.dataset.findData(folder)
        self.dataset.setCurrentIndex(index)

    def _folder_categories(self) -> tuple[str, ...] | None:
        """Every category of the chosen folder, when it is one that --categories applies to."""
        data_dir = self._data_dir_setting()
        if data_dir is None or data_dir == str(FASHION_MNIST_DIR):
            return None
        try:
            return class_names(data_dir)
        except DataError:
            return None  # said when the run starts

    def _offer_categories(self) -> None:
        names = self._folder_categories()
        self.categories.setEnabled(names is not None)
        if names is None:
            self.categories.setToolTip("Only a folder of Quick, Draw! files or of image sub-folders has categories")
            return
        shown = ", ".join(names[:40]) + (f", … ({len(names)} in all)" if len(names) > 40 else "")
        self.categories.setToolTip(f"Available: {shown}")
        if len(names) > MAX_CLASSES and not self.categories.text().strip():
            self.status.setText(f"This folder has {len(names)} categories: name at most {MAX_CLASSES} of them "
                                "under Categories, separated by commas.")

    def _data_dir_setting(self) -> str | None:
        data = self.dataset.currentData()
        return None if data in (None, "choose") else data

    def config(self):
        """The TrainConfig the settings describe."""

        distort = self.augment.isChecked()
        data_dir = self._data_dir_setting()
        # The studio's preset (the shipped models' distortions), or none of them.
        undistorted = {} if distort else {"augment": 0.0, "elastic": 0.0, "sketches": 0.0}
        return TrainConfig.preset("studio", kind=self.kind.currentData(), latent_dim=self.latent.value(),
                                  epochs=self.epochs.value(), batch_size=self.batch.value(), lr=self.lr.value(),
                                  beta=self.beta.value() if self.kind.currentData() == "vae" else 1.0,
                                  seed=self.seed.value(), data_dir=data_dir, limit=self.limit.value() or None,
                                  categories=(self.categories.text().strip() or None)
                                  if self.categories.isEnabled() else None, **undistorted)

    def run_name(self) -> str:
        """The typed name, or one made from the settings that no model has yet."""
        typed = self.name.text().strip()
        if typed:
            return typed
        config = self.config()
        dataset = "mnist" if config.data_dir is None else Path(config.data_dir).name
        beta = f"-b{config.beta:g}" if config.kind == "vae" and config.beta != 1 else ""
        base = f"{dataset}-{config.kind}-{config.latent_dim}d{beta}-s{config.seed}".replace(".", "p")
        taken = set(list_models())
        return next(name for n in range(1, 10_000) if (name := base if n == 1 else f"{base}-{n}") not in taken)

    def command_argv(self, name: str | None = None) -> list[str]:
        out = user_models_dir() / (name or self.run_name())
        return self.config().to_argv(out, self.start_from.currentData())

    def _settings_changed(self) -> None:
        if self._running:
            return
        try:
            config = self.config()
        except TrainingError as exc:  # e.g. categories half typed: said here, refused by Start
            self.command.setText(f"Not a valid run yet: {exc}")
            return
        self.command.setText("Same run from the command line:\nvaedesk " + shlex.join(self.command_argv()))
        self._show_diagnoses(diagnose(self.kind.currentData(), config.beta, self.latent.value(), []))

    # ------------------------------------------------------------------ run control
    def _reset_run_state(self) -> None:
        self._running = False
        self._steps: list[int] = []
        self._smoothed: dict[str, list[float]] = {key: [] for key, _, _ in _TERMS}
        self._epochs: list[dict[str, float]] = []
        self._measured: Measured | None = None  # what the latest snapshot showed of the weights
        self._activity = ""  # what the run's process said it does after its last step (evaluating)
        self._diverged = False  # the run failed with a NaN loss: its diagnosis stays the only one
        self._last_checkpoint = ""
        self._run_config: TrainConfig | None = None
        self._last_report = None  # the newest report not yet drawn by every plot
        self._next_plot = 0  # the plot the next redraw updates
        self._status_said = False  # the run's process has said what it is doing (e.g. evaluating)
        self._epochs_drawn = [0, 0]  # epochs shown by the two per-epoch plots
        self._following = [True] * 4  # a plot the user has panned or zoomed keeps its view
        self._framed: list[tuple | None] = [None] * 4  # each plot's (x range, y range)
        self.last_run_name = ""

    def start(self) -> bool:
        """Start a run with the current settings; False (with a message) if they are invalid."""

        if self._running:
            return False
        name = self.run_name()
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", name):
            self.status.setText(f"“{name}” cannot be a model name: use letters, digits, '.', '_' and '-'.")
            return False
        if name in list_models():  # only a typed name can clash: never overwrite a model
            self.status.setText(f"A model named “{name}” already exists: choose another name.")
            return False
        try:
            config = self.config()
            names = class_names(config.data_dir, config.category_list())  # names an unknown category
            if names is not None and len(names) > MAX_CLASSES:
                raise DataError(f"{len(names)} categories, but a model learns at most {MAX_CLASSES}: name some "
                                "under Categories, separated by commas")
        except (TrainingError, DataError) as exc:
            self.status.setText(str(exc))
            return False
        self._begin(config, name)
        argv = self.command_argv(name)
        self.status.setText(f"Training {name}…")
        self.worker.start({"config": config, "out": str(user_models_dir() / name),
                           "initial": self.start_from.currentData(),
                           "command": "vaedesk " + shlex.join(argv)})
        self._show_diagnoses(diagnose(config.kind, config.beta, config.latent_dim, []))
        return True

    def _begin(self, config: TrainConfig, name: str) -> None:
        """The studio's state for a run that starts now."""
        self._reset_run_state()
        self._running = True
        self._run_config = config
        for curve in self.curves.values():
            curve.setData([], [])
        for marks in self.epoch_marks.values():
            marks.set_points([])
        self.progress_bar.setValue(0)
        self.pause_button.setChecked(False)
        self._update_buttons(running=True)
        self._redraw_timer.start()
        self.last_run_name = name

    def interrupted_runs(self) -> list[InterruptedRun]:
        """Runs in the model folder that stopped before their last epoch, newest first."""
        return interrupted_runs(user_models_dir())

    def resume_run(self, run: InterruptedRun | None = None) -> bool:
        """Continue an interrupted run from its checkpoint (asks which when there are several)."""
        if self._running:
            return False
        if run is None:
            runs = self.interrupted_runs()
            if not runs:
                self.status.setText("No interrupted run to resume.")
                return False
            run = runs[0]
            if len(runs) > 1:
                labels = [f"{r.name} (epoch {r.epoch} of {r.epochs})" for r in runs]
                label, ok = QInputDialog.getItem(self, "Resume a run", "Interrupted runs:", labels, 0, False)
                if not ok:
                    return False
                run = runs[labels.index(label)]
        try:
            config = TrainConfig(**run.config)
        except (TypeError, TrainingError) as exc:
            self.status.setText(f"{run.name} cannot be resumed: {exc}")
            return False
        self._begin(config, run.name)
        self.status.setText(f"Resuming {run.name} after epoch {run.epoch} of {run.epochs}…")
        self.worker.start({"resume": str(run.folder), "out": str(user_models_dir() / run.name)})
        return True

    def _pause_toggled(self, paused: bool) -> None:
        if not self._running:
            return
        if paused:
            self.worker.pause()
            self.pause_button.setText("Resume")
        else:
            self.worker.resume()
            self.pause_button.setText("Pause")
        self._show_activity()

    def _show_activity(self) -> None:
        """The status line while a run goes on: paused or not, and what the run is doing
        once its training steps are done (the progress text takes over while it trains)."""
        if not self.pause_button.isChecked():
            self.status.setText(self._activity or "Training…")
        elif self._activity:  # e.g. evaluating: already under way, it cannot stop half-way
            self.status.setText(f"Paused. {self._activity} (already under way: it goes on to its end, "
                                "and then the run is done)")
        else:
            self.status.setText("Paused. The plane and the hover preview still show the current weights.")

    def cancel(self) -> None:
        if self._running:
            self.status.setText("Cancelling after the current step…")
            self.worker.cancel()

    def is_running(self) -> bool:
        return self._running

    def set_drawing(self, image: np.ndarray | None) -> None:
        """The model input of the user's current drawing, shown under the current weights."""
        self.worker.set_drawing(image)

    def _update_buttons(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.resume_button.setEnabled(not running and bool(self.interrupted_runs()))
        self.pause_button.setEnabled(running)
        self.cancel_button.setEnabled(running)
        fine_tuning = self.start_from.currentData() is not None
        for widget in (self.dataset, self.kind, self.latent, self.beta, self.epochs, self.batch, self.lr,
                       self.augment, self.seed, self.limit, self.start_from, self.name):
            enabled = not running
            if widget is self.beta:
                enabled = enabled and self.kind.currentData() == "vae"
            elif widget in (self.kind, self.latent):
                enabled = enabled and not fine_tuning
            widget.setEnabled(enabled)
        if not running:
            self.pause_button.setChecked(False)
            self.pause_button.setText("Pause")

    # ------------------------------------------------------------------ reports
    def _on_progress(self, report: Any) -> None:
        """Record a report; the curves and texts are redrawn by a timer (see _redraw), so a
        run with tiny batches (hundreds of reports a second) never floods the window."""
        config = self._run_config
        if config is None:
            return
        beta = config.beta if config.kind == "vae" else 0.0
        values = {"recon": report.recon, "kl": report.kl, "total": report.recon + beta * report.kl}
        self._steps.append(report.step)
        for key, value in values.items():
            series = self._smoothed[key]
            series.append(value if not series else _SMOOTHING * series[-1] + (1 - _SMOOTHING) * value)
        if report.epoch_done:
            test_total = report.test["neg_elbo"]
            if config.kind == "vae" and beta != 1.0:
                test_total = report.test["recon"] + beta * report.test["kl"]
            self._epochs.append({"epoch": report.epoch, "train_recon": report.train["recon"],
                                 "train_kl": report.train["kl"],
                                 "train_total": report.train["recon"] + beta * report.train["kl"],
                                 "test_neg_elbo": test_total, "test_recon": report.test["recon"],
                                 "test_kl": report.test["kl"], "test_total": test_total})
        self._last_report = report

    def _redraw(self) -> None:
        """Redraw one of the four loss plots (in turn) and the texts, if a report came since.

        A plot's repaint after a change of range costs about 10 ms of the GUI thread (axes,
        grid, text); all four in one paint blocked the window for 40-100 ms. One per tick
        keeps each paint short, and each plot is still redrawn every ``4 × REDRAW_MS``."""
        report = self._last_report
        if report is None:
            return
        plot, self._next_plot = self._next_plot, (self._next_plot + 1) % 4
        self._draw_plot(plot, report)
        if self._next_plot == 0:
            self._last_report = None  # every plot has drawn it
        total_steps = report.steps_per_epoch * report.epochs
        self.progress_bar.setValue(round(100 * report.step / total_steps))
        if self._running and not self.pause_button.isChecked() and not self._status_said:
            self.status.setText(
                f"Epoch {report.epoch}/{report.epochs}, step {report.step}/{total_steps}: reconstruction "
                f"{report.recon:.1f}, KL {report.kl:.2f} nats per image ({report.images_per_second:.0f} images/s)")
        self._refresh_diagnoses()

    def _draw_plot(self, plot: int, report: Any) -> None:
        """Plot 0: the step curves of reconstruction and the total; 1: the step KL; 2 and 3:
        the same per epoch (touched only when an epoch has ended)."""
        keys = ("recon", "total") if plot % 2 == 0 else ("kl",)
        if plot < 2:
            for key in keys:
                self.curves[f"step_{key}"].setData(self._steps, self._smoothed[key])
            values = [v for key in keys for v in self._smoothed[key]]
            self._frame(plot, (0.0, float(report.steps_per_epoch * report.epochs)), values)
            return
        if self._epochs_drawn[plot - 2] == len(self._epochs):
            return
        self._epochs_drawn[plot - 2] = len(self._epochs)
        epochs = [e["epoch"] for e in self._epochs]
        values = []
        for key in keys:
            for split in ("train", "test"):
                series = [e[f"{split}_{key}"] for e in self._epochs]
                self.curves[f"{split}_{key}"].setData(epochs, series)
                self.epoch_marks[f"{split}_{key}"].set_points(np.column_stack([epochs, series]))
                values += series
        self._frame(plot, (0.5, report.epochs + 0.5), values)

    def _frame(self, plot: int, x_range: tuple[float, float], values: list[float]) -> None:
        """Show a run's whole length across and its values in a steady range: the axes are
        redrawn only when that range changes, not at every report."""
        if not self._following[plot] or not values:
            return
        shown = self._framed[plot]
        y_range = steady_range(None if shown is None else shown[1], min(values), max(values))
        if (x_range, y_range) != shown:
            self._framed[plot] = (x_range, y_range)
            self.loss_plots[plot].getViewBox().setRange(xRange=x_range, yRange=y_range, padding=0)

    def _on_snapshot(self, snap: Snapshot) -> None:
        config = self._run_config
        names = class_names(config.data_dir, config.category_list()) if config is not None else None
        self.plane.set_scatter(snap.scatter_xy, snap.labels, names)
        self.plane.set_axis_labels(*snap.axis_labels)
        self.plane.follow_scatter(keep_reach=PRIOR_REACH if config is not None and config.kind == "vae" else None)
        if snap.drawing is not None:
            self.plane.set_posterior(snap.drawing.mean_xy, snap.drawing.cov_xy)
            self.drawing_view.set_image(snap.drawing.reconstruction)
        else:
            self.plane.set_posterior(None)
        weights = "the run's final weights" if snap.final else "the weights"
        units = "active latent unit" if snap.active_units == 1 else "active latent units"
        self.plane_caption.setText(f"Test set encoded with {weights} at step {snap.step} (epoch {snap.epoch:.1f}); "
                                   f"{snap.active_units} {units}.")
        self._measured = Measured(snap.epoch, snap.active_units, snap.kl)
        self._refresh_diagnoses()

    def _hovered(self, x: float, y: float) -> None:
        self.worker.set_hover(x, y)

    def _on_hover_decoded(self, x: float, y: float, image: np.ndarray) -> None:
        self.hover_view.set_image(image)
        self.hover_view.set_caption(f"Decoded now at ({x:+.2f}, {y:+.2f})")

    def _on_checkpoint(self, path: str, epoch: int) -> None:
        self._last_checkpoint = path

    def _on_status(self, text: str) -> None:
        self._status_said = True  # a later redraw must not replace this newer text
        self._activity = text
        self._show_activity()

    def _finish(self, how: str, then: Callable[[], None] | None = None) -> None:
        """The run has ended and the status line says how: draw what the redraw timer had not
        drawn yet, one plot per tick as during the run (the four plots' last points, most with
        a new range, painted in one go blocked the window for 40-90 ms), then give the buttons
        back, say ``run_ended`` and call ``then``."""
        self._redraw_timer.stop()
        self._status_said = True  # the redraws below leave the status line as it is
        plots_left = 4

        def draw_next() -> None:
            nonlocal plots_left
            self._redraw()
            plots_left -= 1
            if plots_left and self._last_report is not None:  # a plot has yet to draw it
                QTimer.singleShot(REDRAW_MS, self, draw_next)
                return
            self._running = False
            self._update_buttons(running=False)
            if how == "finished":
                self.progress_bar.setValue(100)
            self.refresh_models()
            self.run_ended.emit(how)
            if then is not None:
                then()

        draw_next()

    def _on_finished(self, path: str, metrics: dict) -> None:
        quality = f"test −ELBO {metrics['neg_elbo']:.1f} nats, " if "neg_elbo" in metrics else ""
        knn = f"5-NN accuracy {metrics['knn5_test']:.3f}" if "knn5_test" in metrics else ""
        self.status.setText(f"Done: saved {Path(path).stem} ({quality}{knn}). It is now in the Model menu.")
        self._finish("finished", then=lambda: self.model_saved.emit(path))

    def _on_cancelled(self, checkpoint: str) -> None:
        kept = f"the checkpoint of the last complete epoch is kept as {Path(checkpoint).stem}" if checkpoint else \
            "no epoch was complete, so nothing was saved"
        self.status.setText(f"Cancelled: {kept}.")
        self._finish("cancelled")

    def _on_failed(self, message: str, checkpoint: str) -> None:
        kept = f" Kept: {Path(checkpoint).stem} (last complete epoch)." if checkpoint else ""
        self.status.setText(f"Training stopped: {message}.{kept}")
        if "diverged" in message:
            self._diverged = True
            self._show_diagnoses([divergence(message)])
        self._finish("failed")

    # ------------------------------------------------------------------ diagnoses
    def _refresh_diagnoses(self) -> None:
        """The diagnoses of the run's settings, its epochs and its latest snapshot's weights
        (at its end, those of its final weights)."""
        config = self._run_config
        if config is None or self._diverged:
            return
        self._show_diagnoses(diagnose(config.kind, config.beta, config.latent_dim, self._epochs, self._measured))

    def _show_diagnoses(self, found: list[Diagnosis]) -> None:
        self.diagnoses = found
        colors = {level: severity_qcolor(level, self.diagnosis).name() for level in ("info", "warning", "error")}
        self.diagnosis.setText("".join(f"<p><b style='color:{colors[d.level]}'>{d.title}.</b> {d.text}</p>"
                                       for d in found))

    def _recolor_plot(self, plot: pg.PlotWidget) -> None:
        self._recolor_curves(recolor_plot(plot))

    def _recolor_curves(self, look: PlotColors) -> None:
        """The curves in colours that read on the plots' background."""
        for key, _label, rgb in _TERMS:
            color = look.text if rgb is None else look.readable(rgb, 3.0)
            for split in ("step", "train", "test"):
                curve = self.curves.get(f"{split}_{key}")
                if curve is None:
                    continue
                pen = pg.mkPen(curve.opts["pen"])
                pen.setColor(color)
                curve.setPen(pen)
                marks = self.epoch_marks.get(f"{split}_{key}")
                if marks is not None:
                    marks.set_brush(QBrush(color))

    def closeEvent(self, event) -> None:
        # Closing the studio does not stop a run: it keeps training and saving; the window's
        # Model menu reopens it.
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop any run (keeping its last checkpoint) and the training process."""
        self.worker.stop()


def _number_box(name: str, low: float, high: float, value: float, decimals: int, step: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox(objectName=name)
    box.setDecimals(decimals)  # before the value, which would otherwise be rounded to 2 decimals
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setValue(value)
    return box
