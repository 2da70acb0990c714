"""The studio's side of a training run: a child process (:mod:`vaedesk.training.child`)
driven through a :class:`QProcess`.

The child trains in its own interpreter, so the window never waits on its GIL. Commands
(pause, resume, cancel, the hover point, the drawing) go to its stdin as JSON lines; its
reports come back on stdout and leave here as the same queued signals the studio always
had. If the child crashes or is killed, :attr:`TrainingWorker.failed` says so once, with
the last epoch it saved. Closing stdin tells the child to stop, so it never outlives the app.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QProcess, Signal

from vaedesk.model.model import Model, load_model
from vaedesk.latent.projection import Projection
from vaedesk.training.config import Progress
from vaedesk.training.child import unpack_array

__all__ = ["Snapshot", "TrainingClient", "TrainingWorker"]

log = logging.getLogger(__name__)

STOP_WAIT_MS = 120_000  # a run's final evaluation (seconds) cannot be interrupted: wait for it


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
    """One training run at a time, in a child process."""

    progress = Signal(object)  # training.Progress
    snapshot = Signal(object)  # Snapshot
    hover_decoded = Signal(float, float, object)  # x, y, (28, 28) image under the current weights
    checkpoint_saved = Signal(str, int)  # path, epoch
    finished = Signal(str, object)  # path, metrics
    cancelled = Signal(str)  # path of the last checkpoint, or "" when no epoch was completed
    failed = Signal(str, str)  # one-line message, path of the last checkpoint or ""
    status = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.busy = False
        self.process: QProcess | None = None
        self._buffer = b""
        self._ended = False  # the child sent its last word (finished, cancelled or failed)
        self._saved = ""  # the last epoch the child saved
        self._projection: Projection | None = None
        self._after: Model | None = None  # the run's model once it has ended: hovering still decodes
        self._after_path = ""  # where that model is
        self._drawing: list | None = None  # the user's drawing as the child takes it

    # -- the studio's commands ------------------------------------------------------------------
    def start(self, request: dict[str, Any]) -> None:
        """``request``: config (TrainConfig), out (path stem), initial (model name or None) and
        command; or resume (an interrupted run's folder) and out."""
        self.busy, self._ended, self._saved, self._buffer = True, False, "", b""
        self._after, self._after_path = None, ""
        if self.process is not None:  # the last run's, finished
            self.process.deleteLater()
        process = QProcess(self)
        process.setProgram(sys.executable)
        process.setArguments(["-m", "vaedesk.training.child"])
        process.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        process.setReadChannel(QProcess.ProcessChannel.StandardOutput)
        process.readyReadStandardOutput.connect(self._read)
        process.readyReadStandardError.connect(self._forward_errors)
        process.finished.connect(self._on_exit)
        process.errorOccurred.connect(self._on_error)
        self.process = process
        if request.get("resume"):
            run = {"resume": str(request["resume"]), "out": str(request["out"])}
        else:
            run = {"config": dataclasses.asdict(request["config"]), "out": str(request["out"]),
                   "initial": request.get("initial"), "command": request.get("command")}
        process.start()
        self._send(run)
        self._send({"cmd": "drawing", "image": self._drawing})

    def pause(self) -> None:
        self._send({"cmd": "pause"})

    def resume(self) -> None:
        self._send({"cmd": "resume"})

    def cancel(self) -> None:
        self._send({"cmd": "cancel"})

    def set_hover(self, x: float, y: float) -> None:
        """Decode (x, y) with the current weights: by the child while it trains, here after."""
        if self.busy:
            self._send({"cmd": "hover", "x": float(x), "y": float(y)})
        elif self._after_path and self._projection is not None:
            if self._after is None:  # loaded at the first hover, not when the run ends
                try:
                    self._after = load_model(self._after_path)
                except Exception:  # the plane just stops decoding; the run's outcome was reported
                    self._after_path = ""
                    return
            image = self._after.decode(self._projection.to_latent(np.array([[x, y]], np.float64)))[0]
            self.hover_decoded.emit(float(x), float(y), image)

    def set_drawing(self, image: np.ndarray | None) -> None:
        """The user's drawing, shown under the current weights (also by the runs started later)."""
        self._drawing = None if image is None else np.round(np.asarray(image, np.float64), 4).tolist()
        self._send({"cmd": "drawing", "image": self._drawing})

    def stop(self, wait_ms: int = STOP_WAIT_MS) -> None:
        """Stop any run (the app is closing), keeping its last saved epoch and its checkpoint,
        and wait for the child to leave."""
        process = self.process
        if process is None or process.state() == QProcess.ProcessState.NotRunning:
            return
        self._send({"cmd": "stop"})  # unlike cancel, the run's checkpoint stays: it can be resumed
        process.closeWriteChannel()  # the child also stops when its input ends
        if not process.waitForFinished(wait_ms):
            process.kill()
            process.waitForFinished(5000)

    def pid(self) -> int | None:
        """The training process's id while one runs."""
        process = self.process
        return None if process is None or process.state() == QProcess.ProcessState.NotRunning else process.processId()

    # -- the child's reports -------------------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        process = self.process
        if process is not None and process.state() != QProcess.ProcessState.NotRunning:
            process.write((json.dumps(message) + "\n").encode("utf-8"))

    def _forward_errors(self) -> None:
        """The child's stderr (its warnings, a traceback) into the app's log."""
        data = bytes(self.process.readAllStandardError())
        text = data.decode("utf-8", "replace").rstrip()
        if text:
            log.warning("training process %s: %s", self.process.processId(), text)

    def _read(self) -> None:
        self._buffer += bytes(self.process.readAllStandardOutput())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            try:
                message = json.loads(line)
            except ValueError:
                continue  # not ours (nothing else writes there)
            self._dispatch(message)

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.pop("type", None)
        if kind == "progress":
            self.progress.emit(Progress(**message))
        elif kind == "snapshot":
            self._projection = Projection.from_dict(message["projection"])
            drawing = message["drawing"]
            if drawing is not None:
                drawing = {"mean_xy": np.array(drawing["mean_xy"]),
                           "cov_xy": None if drawing["cov_xy"] is None else np.array(drawing["cov_xy"]),
                           "reconstruction": unpack_array(drawing["reconstruction"])}
            self.snapshot.emit(Snapshot(message["step"], message["epoch"],
                                        unpack_array(message["scatter_xy"]).astype(np.float64),
                                        unpack_array(message["labels"]).astype(np.int64), tuple(message["axis_labels"]),
                                        message["active_units"], drawing))
        elif kind == "hover":
            self.hover_decoded.emit(message["x"], message["y"], unpack_array(message["image"]))
        elif kind == "checkpoint":
            self._saved = message["path"]
            self.checkpoint_saved.emit(message["path"], message["epoch"])
        elif kind == "status":
            self.status.emit(message["text"])
        elif kind == "weights":  # a temporary copy: taken at once, then deleted
            try:
                self._after, self._after_path = load_model(message["path"]), message["path"]
            except Exception:
                self._after, self._after_path = None, ""
            shutil.rmtree(Path(message["path"]).parent, ignore_errors=True)
        elif kind in ("finished", "cancelled", "failed"):
            self._ended = True
            self.busy = False
            if kind == "finished" or not self._after_path:
                self._keep_for_hover(message.get("path", ""))
            if kind == "finished":
                self.finished.emit(message["path"], message["metrics"])
            elif kind == "cancelled":
                self.cancelled.emit(message["path"])
            else:
                self.failed.emit(message["message"], message["path"])

    def _keep_for_hover(self, path: str) -> None:
        self._after, self._after_path = None, path

    def _on_exit(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read()  # what it wrote last
        if self._ended:
            return
        self.busy = False
        how = "was killed" if status == QProcess.ExitStatus.CrashExit else f"exited with code {code}"
        self._keep_for_hover(self._saved)
        self.failed.emit(f"the training process {how} unexpectedly", self._saved)
        self._ended = True

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and not self._ended:
            self._ended, self.busy = True, False
            self.failed.emit(f"the training process could not start ({self.process.errorString()})", "")


class TrainingClient(QObject):
    """The studio's handle on its runs (kept for the window's lifetime)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = TrainingWorker(self)

    def stop(self) -> None:
        self.worker.stop()
