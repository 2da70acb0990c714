"""The studio's side of a training run: :class:`TrainingWorker` drives a child process
(:mod:`vaedesk.training.child`) through a :class:`vaedesk.service.process.ChildProcess`.

The child trains in its own interpreter, so the window never waits on its GIL, and the
window's process never imports PyTorch. Commands (pause, resume, cancel, the hover point,
the drawing) and reports are messages of :mod:`vaedesk.service.protocol`; the reports leave
here as queued signals. After a run ends the child stays, answering the plane's hover points
with the run's last weights, until the next run starts or the app closes. If the child
crashes or is killed, :attr:`TrainingWorker.failed` says so once, with the last epoch it saved.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from vaedesk.service.process import ChildProcess
from vaedesk.service.protocol import (
    RUN_ENDS,
    Cancel,
    CheckpointSaved,
    Hover,
    HoverDecoded,
    Pause,
    Resume,
    RunCancelled,
    RunFailed,
    RunFinished,
    SetDrawing,
    Snapshot,
    Status,
    TrainingRun,
)
from vaedesk.training.config import Progress

__all__ = ["TrainingWorker"]

log = logging.getLogger(__name__)

STOP_WAIT_S = 120.0  # a run's final evaluation (seconds) cannot be interrupted: wait for it
TRAINING_MODULE = "vaedesk.training.child"


class TrainingWorker(QObject):
    """One training run at a time, in a child process."""

    progress = Signal(object)  # training.Progress
    snapshot = Signal(object)  # protocol.Snapshot
    hover_decoded = Signal(float, float, object)  # x, y, (28, 28) image under the current weights
    checkpoint_saved = Signal(str, int)  # path, epoch
    finished = Signal(str, object)  # path, metrics
    cancelled = Signal(str)  # path of the last checkpoint, or "" when no epoch was completed
    failed = Signal(str, str)  # one-line message, path of the last checkpoint or ""
    status = Signal(str)
    # From the child's reading thread to this object's (the window's) thread, in order.
    _received = Signal(object, object)  # ChildProcess, message
    _ended = Signal(object, str)  # ChildProcess, how

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.busy = False
        self.child: ChildProcess | None = None
        self._over = False  # the run has said its last word (finished, cancelled or failed)
        self._saved = ""  # the last epoch the child saved
        self._drawing: np.ndarray | None = None  # the user's drawing as the child takes it
        self._received.connect(self._dispatch)
        self._ended.connect(self._on_end)
        self._handlers: dict[type, Callable[[Any], None]] = {
            Progress: self.progress.emit, Snapshot: self.snapshot.emit,
            HoverDecoded: lambda m: self.hover_decoded.emit(m.x, m.y, m.image),
            CheckpointSaved: self._on_checkpoint, Status: lambda m: self.status.emit(m.text),
            RunFinished: lambda m: self.finished.emit(m.path, m.metrics),
            RunCancelled: lambda m: self.cancelled.emit(m.path),
            RunFailed: lambda m: self.failed.emit(m.message, m.path),
        }

    # -- the studio's commands ------------------------------------------------------------------
    def start(self, request: dict[str, Any]) -> None:
        """``request``: config (TrainConfig), out (path stem), initial (model name or None) and
        command; or resume (an interrupted run's folder) and out."""
        if self.child is not None:  # the last run's, answering hovers: it ends beside the window
            threading.Thread(target=self.child.stop, name="vaedesk-training-stop", daemon=True).start()
        self.busy, self._over, self._saved = True, False, ""
        if request.get("resume"):
            run = TrainingRun(out=str(request["out"]), resume=str(request["resume"]))
        else:
            run = TrainingRun(out=str(request["out"]), config=dataclasses.asdict(request["config"]),
                              initial=request.get("initial"), command=request.get("command"))
        child = ChildProcess(TRAINING_MODULE, lambda message: self._received.emit(child, message),
                             lambda how: self._ended.emit(child, how), name="vaedesk-training", log_stderr=True)
        self.child = child
        child.start()
        child.send(run)
        child.send(SetDrawing(self._drawing))

    def pause(self) -> None:
        self._send(Pause())

    def resume(self) -> None:
        self._send(Resume())

    def cancel(self) -> None:
        self._send(Cancel())

    def set_hover(self, x: float, y: float) -> None:
        """Decode (x, y) with the current weights (after a run: its last ones)."""
        self._send(Hover(float(x), float(y)))

    def set_drawing(self, image: np.ndarray | None) -> None:
        """The user's drawing, shown under the current weights (also by the runs started later)."""
        self._drawing = None if image is None else np.asarray(image, np.float32).reshape(28, 28).copy()
        self._send(SetDrawing(self._drawing))

    def stop(self, timeout: float = STOP_WAIT_S) -> None:
        """Stop any run (the app is closing), keeping its last saved epoch and its checkpoint,
        and wait for the child to leave."""
        if self.child is not None:
            self.child.stop(timeout)  # unlike cancel, the run's checkpoint stays: it can be resumed

    def pid(self) -> int | None:
        """The training process's id while one runs (or answers hovers after its run)."""
        child = self.child
        return child.pid() if child is not None and child.is_alive() else None

    # -- the child's reports -------------------------------------------------------------------
    def _send(self, message: object) -> None:
        if self.child is not None:
            self.child.send(message)

    def _dispatch(self, child: ChildProcess, message: object) -> None:
        if child is not self.child:
            return  # from the last run's child, said before it was stopped
        if isinstance(message, RUN_ENDS):
            self._over, self.busy = True, False
        handler = self._handlers.get(type(message))
        if handler is None:
            log.warning("the training process sent an unknown %s", type(message).__name__)
            return
        handler(message)

    def _on_checkpoint(self, message: CheckpointSaved) -> None:
        self._saved = message.path
        self.checkpoint_saved.emit(message.path, message.epoch)

    def _on_end(self, child: ChildProcess, how: str) -> None:
        """The child ended without being asked to: a run under way failed with it."""
        if child is not self.child or self._over:
            return
        self._over, self.busy = True, False
        self.failed.emit(f"the training process {how}", self._saved)
