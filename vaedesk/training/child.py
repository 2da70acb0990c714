"""The training studio's run, in a process of its own: ``python -m vaedesk.training.child``.

Training in the app's own interpreter held its GIL for tens of milliseconds at a time, and
the window stuttered. The studio starts this module as a child process instead and talks
to it in JSON lines:

- stdin, from the studio: first the run (``{"config": TrainConfig fields, "out": path,
  "initial": model or null, "command": text}``, or ``{"resume": run folder, "out": path}``
  to continue an interrupted one, see :mod:`vaedesk.training.checkpoint`), then commands: ``{"cmd": "pause"}``,
  ``"resume"``, ``"cancel"`` (the run is over), ``"stop"`` (the app closes: the run can be
  resumed later), ``{"cmd": "hover", "x": .., "y": ..}`` and
  ``{"cmd": "drawing", "image": 28x28 or null}``. The end of stdin means the studio is
  gone: the run stops after its current step, so no orphan trains on.
- stdout, to the studio: ``progress`` (a :class:`vaedesk.training.events.Progress`), ``snapshot``
  (the test set encoded with the current weights, the projection that draws it and the
  user's drawing), ``hover`` (a decoded plane point), ``checkpoint`` (an epoch saved),
  ``status``, ``weights`` (a cancelled run's last weights, in a temporary file for the
  studio to take), and one of ``finished``, ``cancelled`` or ``failed`` at the end.
  Arrays in them (the snapshot's points, a decoded image) are packed by :func:`pack_array`.

No Qt here. Every completed epoch is saved (atomically) at ``out``, so a run that is
cancelled, fails or is killed keeps its last complete epoch.
"""

from __future__ import annotations

import base64
import dataclasses
import faulthandler
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import IO, Any

import numpy as np

log = logging.getLogger(__name__)

SNAPSHOT_EVERY = 200  # steps between re-encodings of the test set
REPORT_EVERY = 10  # steps between loss reports: enough points for smooth live curves
SNAPSHOT_IMAGES = 2000  # test images per snapshot: 0.1 s of encoding, enough to see clusters


def _rounded(array: Any, decimals: int) -> list:
    return np.round(np.asarray(array, np.float64), decimals).tolist()


def pack_array(array: Any, dtype: str = "float32") -> dict[str, Any]:
    """An array as JSON: ``{"dtype", "shape", "base64"}`` of its little-endian bytes.

    The studio reads every snapshot on the window's thread: 2000 points as JSON numbers
    took 6 ms to parse and convert there, their bytes take a few microseconds.
    """
    data = np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<"))
    return {"dtype": dtype, "shape": list(data.shape), "base64": base64.b64encode(data.tobytes()).decode("ascii")}


def unpack_array(packed: dict[str, Any]) -> np.ndarray:
    """The array :func:`pack_array` packed; ValueError if the fields do not fit together."""
    dtype = np.dtype(str(packed["dtype"])).newbyteorder("<")
    data = np.frombuffer(base64.b64decode(packed["base64"], validate=True), dtype=dtype)
    return data.reshape([int(n) for n in packed["shape"]]).astype(dtype.newbyteorder("="))


class _Messages:
    """Writes one JSON object per line to the studio; one writer at a time."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, kind: str, **fields: Any) -> None:
        line = json.dumps({"type": kind, **fields}, allow_nan=True, separators=(",", ":"))
        with self._lock:
            try:
                self._stream.write(line + "\n")
                self._stream.flush()
            except (BrokenPipeError, ValueError):  # the studio is gone; the run stops at its next step
                pass


class _Controls:
    """What the studio asks for, read from stdin by a thread: flags the loop checks between steps."""

    def __init__(self) -> None:
        self.cancel = threading.Event()
        self.discard = False  # cancelled by the user: forget the run's checkpoint
        self.running = threading.Event()  # cleared while paused
        self.running.set()
        self._lock = threading.Lock()
        self._hover: tuple[float, float] | None = None
        self.drawing: np.ndarray | None = None

    def take_hover(self) -> tuple[float, float] | None:
        with self._lock:
            point, self._hover = self._hover, None
        return point

    def handle(self, command: dict[str, Any]) -> None:
        what = command.get("cmd")
        if what == "pause":
            self.running.clear()
        elif what == "resume":
            self.running.set()
        elif what == "cancel":  # the user's choice: the run is over, its checkpoint goes
            self.discard = True
            self.stop()
        elif what == "stop":  # the app is closing: the run can be resumed later
            self.stop()
        elif what == "hover":
            with self._lock:
                self._hover = (float(command["x"]), float(command["y"]))
        elif what == "drawing":
            image = command.get("image")
            self.drawing = None if image is None else np.asarray(image, np.float32).reshape(28, 28)

    def stop(self) -> None:
        self.cancel.set()
        self.running.set()  # a paused run must wake up to stop

    def listen(self, stream: IO[str]) -> None:
        for line in stream:
            try:
                self.handle(json.loads(line))
            except (ValueError, KeyError, TypeError):
                continue  # a malformed command changes nothing
        self.stop()  # end of input: the studio has gone


class _Run:
    """The studio's run: :func:`vaedesk.training.run.run_training`, its events sent on as
    messages, the studio's commands turned into pauses, hover answers and a stop."""

    def __init__(self, request: dict[str, Any], controls: _Controls, messages: _Messages) -> None:
        self.request, self.controls, self.messages = request, controls, messages
        self.projection = None
        self.epochs_done = 0.0
        self.saved = ""  # the model of the last completed epoch, kept when the run ends otherwise

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
            self.serve_hover(event.net)
            if event.step == 1 or event.step % SNAPSHOT_EVERY == 0:
                self.snapshot(event.step, event.net)
            while not self.controls.running.wait(0.05):  # paused: still answer the hover preview
                self.serve_hover(event.net)
        elif isinstance(event, events.Progress):
            self.epochs_done = event.step / event.steps_per_epoch
            send("progress", **dataclasses.asdict(event))
        elif isinstance(event, events.EpochSaved):
            self.saved = str(event.model_path)
            send("checkpoint", path=self.saved, epoch=event.epoch)
        elif isinstance(event, events.Trained) and not event.stopped:
            self.snapshot(-1, event.model.net)
        elif isinstance(event, events.Evaluating):
            send("status", text="Evaluating on the test set…")
        elif isinstance(event, events.Notice):
            send("status", text=event.text)
        elif isinstance(event, events.Saved):
            send("finished", path=str(event.path), metrics=event.metrics)

    def send_weights(self, model) -> None:
        """The weights as they are now, in a temporary file the studio loads and deletes, so
        its plane still decodes with them after the run (also when no epoch was saved)."""
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="vaedesk-weights-"))
        try:
            path = model.save(folder / "last")
        except OSError:
            return  # the studio then decodes with the last saved epoch, if any
        self.messages.send("weights", path=str(path))

    def serve_hover(self, net) -> None:
        from vaedesk.errors import ModelError

        point = self.controls.take_hover()
        if point is None or self.projection is None:
            return
        z = self.projection.to_latent(np.array([point], np.float64))
        try:
            image = _current(net).decode(z)[0]
        except ModelError:  # weights gone NaN: the loop reports the divergence at its next step
            return
        self.messages.send("hover", x=point[0], y=point[1], image=pack_array(image))

    def snapshot(self, step: int, net) -> None:
        from vaedesk.errors import LatentError, ModelError
        from vaedesk.insight.diagnostics import active_units
        from vaedesk.latent.projection import Projection

        model = _current(net)
        drawing = self.controls.drawing
        try:
            means = model.encode(self.test_images).mean
            projection = Projection.fit(means)  # the studio trains latent spaces of 2 or more dimensions
            shown = None
            if drawing is not None:
                posterior = model.encode(drawing[None])
                cov = None if posterior.std is None else projection.project_covariance(posterior.std[0] ** 2)
                shown = {"mean_xy": _rounded(projection.to_plane(posterior.mean)[0], 5),
                         "cov_xy": None if cov is None else _rounded(cov, 8),
                         "reconstruction": pack_array(model.decode(posterior.mean)[0])}
        except (ModelError, LatentError):  # weights gone NaN: the loop reports the divergence next
            return
        self.projection = projection
        self.messages.send(
            "snapshot", step=step, epoch=self.epochs_done, scatter_xy=pack_array(projection.to_plane(means)),
            labels=pack_array(self.test_labels, "int16"), axis_labels=list(projection.axis_labels),
            active_units=int(active_units(means)), drawing=shown, projection=projection.to_dict())


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
    # stdout carries the messages alone: anything else printed goes to stderr, which the
    # studio writes to the app's log.
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    sys.stdout = sys.stderr
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    faulthandler.enable(file=sys.stderr, all_threads=True)
    # Ctrl+C in the terminal reaches the whole process group: the app decides when the run
    # stops (it sends "stop" as it closes), so the run is never cut off mid-epoch by it.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    messages = _Messages(channel)
    first = sys.stdin.readline()
    try:
        request = json.loads(first)
    except ValueError:
        messages.send("failed", message="the training process got no run to do", path="")
        return 2
    controls = _Controls()
    threading.Thread(target=controls.listen, args=(sys.stdin,), name="vaedesk-training-commands",
                     daemon=True).start()
    _Run(request, controls, messages).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
