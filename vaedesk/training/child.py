"""The training studio's run, in a process of its own: ``python -m vaedesk.training.child FD``.

Training in the app's own interpreter held its GIL for tens of milliseconds at a time, and
the window stuttered. The studio starts this module as a child process instead (through a
:class:`vaedesk.service.process.ChildProcess`, FD being its end of the connection) and the
two speak the messages of :mod:`vaedesk.service.protocol`: first a ``TrainingRun``, then
``Pause``, ``Resume``, ``Cancel`` (the run is over), ``Stop`` (the app closes: the run can
be resumed later), ``Hover`` and ``SetDrawing``; back come ``Progress``, ``Snapshot``,
``HoverDecoded``, ``CheckpointSaved``, ``Status`` and one of ``RunFinished``,
``RunCancelled`` or ``RunFailed``. After its run the child still answers hovers with the
run's last weights, until ``Stop``. The end of the connection means the studio is gone: the
run stops after its current step, so no orphan trains on.

No Qt here. Every completed epoch is saved (atomically) at ``out``, so a run that is
cancelled, fails or is killed keeps its last complete epoch.
"""

from __future__ import annotations

import dataclasses
import faulthandler
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

import numpy as np

from vaedesk.service.protocol import (
    Cancel,
    CheckpointSaved,
    DrawingPreview,
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
    Stop,
    TrainingRun,
)

if TYPE_CHECKING:
    from vaedesk.latent.views import Projection

log = logging.getLogger(__name__)

SNAPSHOT_EVERY = 200  # most steps between re-encodings of the test set, in a long run
SNAPSHOTS_PER_RUN = 10  # fewest re-encodings of a run (of 10 steps or more), its final weights' included
REPORT_EVERY = 10  # steps between loss reports: enough points for smooth live curves
SNAPSHOT_IMAGES = 2000  # test images per snapshot: 0.1 s of encoding, enough to see clusters


def snapshot_due(step: int, steps_per_epoch: int, steps: int, first_step: int = 1) -> bool:
    """Whether the plane is re-encoded after ``step`` of a run of ``steps`` optimiser steps,
    ``steps_per_epoch`` to an epoch, whose process began at ``first_step`` (later than 1 when
    it resumes a run).

    After the first step (a first look), then every ``SNAPSHOT_EVERY`` steps, more often when
    that is needed for a snapshot in every epoch and ``SNAPSHOTS_PER_RUN`` in the run. The
    last step is left out: the run's final weights are encoded once it has ended (also when it
    stopped early), counting as one of the run's snapshots.
    """
    if step >= steps:
        return False
    every = max(1, min(SNAPSHOT_EVERY, steps_per_epoch, steps // SNAPSHOTS_PER_RUN))
    return step == first_step or step % every == 0


def _progress(**fields: Any) -> object:
    from vaedesk.training.config import Progress

    return Progress(**fields)


# The run's reports by the name it sends them under, as protocol messages.
_REPORTS: dict[str, Callable[..., object]] = {
    "progress": _progress, "snapshot": Snapshot, "hover": HoverDecoded, "checkpoint": CheckpointSaved,
    "status": Status, "finished": RunFinished, "cancelled": RunCancelled, "failed": RunFailed,
}


class _Messages:
    """Sends the run's reports to the studio; one writer at a time."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._lock = threading.Lock()

    def send(self, kind: str, **fields: Any) -> None:
        message = _REPORTS[kind](**fields)
        with self._lock:
            try:
                self._connection.send(message)
            except (OSError, ValueError):  # the studio is gone; the run stops at its next step
                pass


class _Controls:
    """What the studio asks for, read by a thread: flags the loop checks between steps."""

    def __init__(self) -> None:
        self.cancel = threading.Event()
        self.discard = False  # cancelled by the user: forget the run's checkpoint
        self.running = threading.Event()  # cleared while paused
        self.running.set()
        self.ended = threading.Event()  # the studio said Stop, or has gone: the child ends
        self.wake = threading.Event()  # a hover point came, or the end
        self._lock = threading.Lock()
        self._hover: tuple[float, float] | None = None
        self.drawing: np.ndarray | None = None
        self._handlers: dict[type, Callable[[Any], None]] = {
            Pause: lambda _m: self.running.clear(), Resume: lambda _m: self.running.set(),
            Cancel: self._cancel, Stop: lambda _m: self.end(), Hover: self._hovered, SetDrawing: self._set_drawing,
        }

    def take_hover(self) -> tuple[float, float] | None:
        with self._lock:
            point, self._hover = self._hover, None
        return point

    def handle(self, command: object) -> None:
        handler = self._handlers.get(type(command))
        if handler is not None:  # anything else changes nothing
            handler(command)

    def _cancel(self, _command: Cancel) -> None:  # the user's choice: the run is over, its checkpoint goes
        self.discard = True
        self.stop()

    def _hovered(self, command: Hover) -> None:
        with self._lock:
            self._hover = (float(command.x), float(command.y))
        self.wake.set()

    def _set_drawing(self, command: SetDrawing) -> None:
        self.drawing = None if command.image is None else np.asarray(command.image, np.float32).reshape(28, 28)

    def stop(self) -> None:
        self.cancel.set()
        self.running.set()  # a paused run must wake up to stop

    def end(self) -> None:
        """The app is closing (or gone): the run stops, resumable later, and the child ends."""
        self.stop()
        self.ended.set()
        self.wake.set()

    def listen(self, connection: Connection) -> None:
        try:
            while not self.ended.is_set():
                self.handle(connection.recv())
        except (EOFError, OSError):
            pass
        self.end()  # the end of the connection: the studio has gone


class _Run:
    """The studio's run: :func:`vaedesk.training.run.run_training`, its events sent on as
    messages, the studio's commands turned into pauses, hover answers and a stop."""

    def __init__(self, request: dict[str, Any], controls: _Controls, messages: _Messages) -> None:
        self.request, self.controls, self.messages = request, controls, messages
        self.projection: Projection | None = None  # the plane of the latest snapshot
        self.first_step = 0  # the first step this process ran (later than 1 in a resumed run)
        self.step = 0  # the latest step done
        self.steps_per_epoch = 1
        self.saved = ""  # the model of the last completed epoch, kept when the run ends otherwise
        self.net = None  # the latest weights seen: after the run, hovers decode with them

    def run(self) -> None:
        from vaedesk.training.checkpoint import remove_run
        from vaedesk.training.config import TrainConfig, TrainingError
        from vaedesk.training.run import TrainingRequest, run_training

        request, send = self.request, self.messages.send
        try:
            resume = request.get("resume") or None
            outcome = run_training(
                TrainingRequest(config=None if resume else TrainConfig.from_dict(request["config"]),
                                out=request["out"], resume=resume, initial=request.get("initial") or None,
                                command=request.get("command"),
                                threads=1,  # one thread: the other core stays with the window and its model worker
                                save_every_epoch=True, report_every=REPORT_EVERY),
                self.on_event, should_stop=self.controls.cancel.is_set)
            if outcome.stopped:
                if self.controls.discard:
                    remove_run(outcome.run_dir)
                self.send_weights(outcome.model)
                send("cancelled", path=self.saved)
        except TrainingError as exc:  # whatever stops a run: its one line
            send("failed", message=str(exc), path=self.saved)
        except Exception as exc:  # a bug: say it in one line; the traceback goes to stderr (the app's log)
            log.exception("the training run failed")
            send("failed", message=f"{type(exc).__name__}: {exc}", path=self.saved)

    def on_event(self, event) -> None:
        """One of the run's events, as the studio's message (or its pause)."""
        from vaedesk.data.datasets import load_split
        from vaedesk.training import events

        send = self.messages.send
        if isinstance(event, events.Started):  # the test images the snapshots encode
            config = event.config
            test = load_split("test", config.data_dir, categories=config.category_list())
            self.test_images = test.images[:SNAPSHOT_IMAGES]
            self.test_labels = test.labels[:SNAPSHOT_IMAGES]
        elif isinstance(event, events.StepDone):
            self.first_step = self.first_step or event.step
            self.step, self.steps_per_epoch = event.step, event.steps_per_epoch
            self.serve_hover(event.net)
            if snapshot_due(event.step, event.steps_per_epoch, event.steps, self.first_step):
                self.snapshot(event.net)
            self.wait_while_paused(event.net)
        elif isinstance(event, events.Progress):
            send("progress", **dataclasses.asdict(event))
        elif isinstance(event, events.EpochSaved):
            self.saved = str(event.model_path)
            send("checkpoint", path=self.saved, epoch=event.epoch)
        elif isinstance(event, events.Trained) and self.step:  # finished or cancelled: the last weights
            self.snapshot(event.model.net, final=True)
        elif isinstance(event, events.Evaluating):
            self.wait_while_paused(self.net)  # a pause that came after the last step holds here
            send("status", text="Evaluating on the test set…")
        elif isinstance(event, events.Notice):
            send("status", text=event.text)
        elif isinstance(event, events.Saved):
            send("finished", path=str(event.path), metrics=event.metrics)

    def wait_while_paused(self, net) -> None:
        """Hold the run while the studio has it paused, still answering the hover preview."""
        while not self.controls.running.wait(0.05):
            if net is not None:
                self.serve_hover(net)

    def send_weights(self, model) -> None:
        """Keep the weights as they are now (a cancelled run's), so the studio's plane still
        decodes with them after the run (also when no epoch was saved)."""
        self.net = model.net

    def answer_hovers(self) -> None:
        """After the run, until the studio says stop or goes: decode its hover points with the
        run's last weights."""
        while True:
            self.controls.wake.wait()
            self.controls.wake.clear()
            if self.controls.ended.is_set():
                return
            if self.net is not None:
                self.serve_hover(self.net)

    def serve_hover(self, net) -> None:
        from vaedesk.errors import ModelError

        self.net = net
        point = self.controls.take_hover()
        if point is None or self.projection is None:
            return
        z = self.projection.to_latent(np.array([point], np.float64))
        try:
            image = _current(net).decode(z)[0]
        except ModelError:  # weights gone NaN: the loop reports the divergence at its next step
            return
        self.messages.send("hover", x=point[0], y=point[1], image=np.asarray(image, np.float32))

    def snapshot(self, net, final: bool = False) -> None:
        """The test set (and the drawing) encoded with ``net``, the weights after the latest step."""
        from vaedesk.errors import LatentError, ModelError
        from vaedesk.insight.diagnostics import active_units
        from vaedesk.latent.views import Projection

        self.net = net
        model = _current(net)
        drawing = self.controls.drawing
        try:
            posterior = model.encode(self.test_images)
            means = posterior.mean
            projection = Projection.fit(means)  # the studio trains latent spaces of 2 or more dimensions
            shown = None
            if drawing is not None:
                drawn = model.encode(drawing[None])
                cov = None if drawn.std is None else projection.project_covariance(drawn.std[0] ** 2)
                shown = DrawingPreview(projection.to_plane(drawn.mean)[0], cov,
                                       np.asarray(model.decode(drawn.mean)[0], np.float32))
        except (ModelError, LatentError):  # weights gone NaN: the loop reports the divergence next
            return
        self.projection = projection
        self.messages.send(
            "snapshot", step=self.step, epoch=self.step / self.steps_per_epoch, final=final,
            scatter_xy=np.asarray(projection.to_plane(means), np.float64),
            labels=np.asarray(self.test_labels, np.int64), axis_labels=tuple(projection.axis_labels),
            active_units=int(active_units(means)), drawing=shown,
            kl=None if posterior.logvar is None else float(posterior.kl().mean()))


def _current(net):
    """The network being trained, through the same Model API the app uses for a saved one."""
    from vaedesk.model.model import Model

    return Model(net, {"name": "training"})


def main() -> int:
    # A background job: when the cores are all busy, the window and its model worker go first.
    if hasattr(os, "nice"):
        try:
            os.nice(10)
        except OSError:
            pass
    from vaedesk.service.process import child_connection

    connection = child_connection()
    # Anything printed goes to stderr, which the studio writes to the app's log.
    sys.stdout = sys.stderr
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    faulthandler.enable(file=sys.stderr, all_threads=True)
    # Ctrl+C in the terminal reaches the whole process group: the app decides when the run
    # stops (it sends Stop as it closes), so the run is never cut off mid-epoch by it.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    messages = _Messages(connection)
    try:
        run = connection.recv()
    except (EOFError, OSError):
        return 0  # the studio went before saying what to do
    if not isinstance(run, TrainingRun):
        messages.send("failed", message="the training process got no run to do", path="")
        return 2
    controls = _Controls()
    threading.Thread(target=controls.listen, args=(connection,), name="vaedesk-training-commands",
                     daemon=True).start()
    training = _Run(run.as_request(), controls, messages)
    training.run()
    training.answer_hovers()
    return 0


if __name__ == "__main__":
    sys.exit(main())
