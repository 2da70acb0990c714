"""The training thread: runs :func:`vaedesk.training.train` for the training studio.

Training is one long call, so the thread's event loop is busy for its whole length; the GUI
controls it through thread-safe flags (pause, cancel) and slots (hover point, drawing) that
the loop reads between optimiser steps. Everything it reports goes out as queued signals.
Every completed epoch is saved atomically, so a cancelled or diverged run keeps its last
good checkpoint and never leaves a half-written file.
"""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot

from ..data import load_split
from ..diagnostics import active_units
from ..errors import LatentError, ModelError, VaedeskError
from ..model import Model, load_model
from ..projection import Projection
from ..training import TrainingError, check_writable, save_and_evaluate, train
from .threads import start_thread, stop_thread

SNAPSHOT_EVERY = 200  # steps between re-encodings of the test set
REPORT_EVERY = 10  # steps between loss reports: enough points for smooth live curves
SNAPSHOT_IMAGES = 2000  # test images per snapshot: 0.1 s of encoding, enough to see clusters


@dataclass
class Snapshot:
    """The latent space under the current weights."""

    step: int
    epoch: float
    scatter_xy: np.ndarray  # (N, 2) plane coordinates of the test means
    labels: np.ndarray
    axis_labels: tuple[str, str]
    active_units: int
    drawing: dict[str, Any] | None  # mean_xy, cov_xy, reconstruction of the current drawing


class TrainingWorker(QObject):
    progress = Signal(object)  # training.Progress
    snapshot = Signal(object)  # Snapshot
    hover_decoded = Signal(float, float, object)  # x, y, (28, 28) image under the current weights
    checkpoint_saved = Signal(str, int)  # path, epoch
    finished = Signal(str, object)  # path, metrics
    cancelled = Signal(str)  # path of the last checkpoint, or "" when no epoch was completed
    failed = Signal(str, str)  # one-line message, path of the last checkpoint or ""
    status = Signal(str)
    _start = Signal(object)
    _hover_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._running = threading.Event()  # cleared while paused
        self._running.set()
        self._hover: tuple[float, float] | None = None
        self._drawing: np.ndarray | None = None
        self._net = None  # the latest weights: hovering after a run still decodes with them
        self._projection = None
        self.busy = False
        self._start.connect(self._run, Qt.ConnectionType.QueuedConnection)
        self._hover_requested.connect(self._serve_idle_hover, Qt.ConnectionType.QueuedConnection)

    # -- any thread -----------------------------------------------------------------------
    def start(self, request: dict[str, Any]) -> None:
        """``request``: config (TrainConfig), out (path stem), initial (model name or None), command."""
        self._cancel.clear()
        self._running.set()
        self.busy = True
        self._start.emit(request)

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def cancel(self) -> None:
        self._cancel.set()
        self._running.set()  # a paused run must wake up to stop

    def set_hover(self, x: float, y: float) -> None:
        """Decode (x, y) with the current weights: between steps while training, at once when idle."""
        with self._lock:
            self._hover = (x, y)
        self._hover_requested.emit()

    def set_drawing(self, image: np.ndarray | None) -> None:
        with self._lock:
            self._drawing = None if image is None else np.array(image, np.float32)

    # -- training thread ------------------------------------------------------------------
    @Slot()
    def _serve_idle_hover(self) -> None:
        # While a run is going this slot waits in the queue; the loop serves hovers itself.
        if self._net is not None:
            self._serve_hover(self._net)

    @Slot(object)
    def _run(self, request: dict[str, Any]) -> None:
        import torch

        # One thread: the other core stays with the window and the model worker, so the
        # app remains fully usable while it trains.
        torch.set_num_threads(1)
        out = Path(request["out"])
        saved = {"path": ""}
        config = request["config"]
        try:
            test = load_split("test", config.data_dir)
            self._test_images = test.images[:SNAPSHOT_IMAGES]
            self._test_labels = test.labels[:SNAPSHOT_IMAGES]
            self._projection = None
            self._epoch_of_step = 0.0
            initial = load_model(request["initial"]) if request.get("initial") else None
            check_writable(out)  # before the run, not after it

            def on_epoch(model) -> None:
                saved["path"] = str(model.save(out))
                self.checkpoint_saved.emit(saved["path"], int(model.card["epochs"]))

            def on_progress(report) -> None:
                self._epoch_of_step = report.step / report.steps_per_epoch  # epochs done, fractional
                self.progress.emit(report)

            def on_step(step: int, net) -> None:
                self._net = net
                self._serve_hover(net)
                if step == 1 or step % SNAPSHOT_EVERY == 0:
                    self._snapshot(step, net)
                while not self._running.wait(0.05):  # paused: still answer the hover preview
                    self._serve_hover(net)

            model = train(config, on_progress=on_progress, should_stop=self._cancel.is_set, report_every=REPORT_EVERY,
                          command=request["command"],
                          initial=initial, on_step=on_step, on_epoch=on_epoch)
            if self._cancel.is_set():
                self.cancelled.emit(saved["path"])
                return
            self._net = model.net
            self._snapshot(-1, model.net)
            path = save_and_evaluate(model, out, config.data_dir,
                                     on_status=lambda _text: self.status.emit("Evaluating on the test set…"))
            self.finished.emit(str(path), model.card["metrics"])
        except (TrainingError, VaedeskError) as exc:
            self.failed.emit(str(exc), saved["path"])
        except Exception as exc:  # a bug: report it, keep the app running
            traceback.print_exc()
            self.failed.emit(f"{type(exc).__name__}: {exc}", saved["path"])
        finally:
            self.busy = False

    def _serve_hover(self, net) -> None:
        with self._lock:
            point, self._hover = self._hover, None
        if point is None or self._projection is None:
            return
        z = self._projection.to_latent(np.array([point], np.float64))
        try:
            image = _current(net).decode(z)[0]
        except ModelError:  # weights gone NaN: the loop reports the divergence at its next step
            return
        self.hover_decoded.emit(point[0], point[1], image)

    def _snapshot(self, step: int, net) -> None:
        model = _current(net)
        with self._lock:
            drawing = self._drawing
        try:
            means = model.encode(self._test_images).mean  # in chunks: 2,000 images at once would cost 200 MB
            projection = Projection.fit(means)  # the studio trains latent spaces of 2 or more dimensions
            shown = None
            if drawing is not None:
                posterior = model.encode(drawing)
                cov = None if posterior.std is None else projection.project_covariance(posterior.std[0] ** 2)
                shown = {"mean_xy": projection.to_plane(posterior.mean)[0], "cov_xy": cov,
                         "reconstruction": model.decode(posterior.mean)[0]}
        except (ModelError, LatentError):  # weights gone NaN: the loop reports the divergence next
            return
        self._projection = projection
        self.snapshot.emit(Snapshot(step, self._epoch_of_step, projection.to_plane(means), self._test_labels,
                                    projection.axis_labels, active_units(means), shown))


def _current(net) -> Model:
    """The network being trained, through the same Model API the app uses for a saved one."""
    return Model(net, {"name": "training"})


class TrainingClient(QObject):
    """The GUI's handle: owns the training thread for the window's lifetime."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = TrainingWorker()
        self.thread = start_thread(self.worker, "vaedesk-training")

    def stop(self) -> None:
        self.worker.cancel()
        # A run notices the cancel within one step, but a final evaluation (a few seconds)
        # cannot be interrupted: wait for it rather than leave a thread running at exit.
        stop_thread(self.thread, timeout_ms=120_000)
