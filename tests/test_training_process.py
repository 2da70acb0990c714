"""The training child, driven over the protocol as the studio drives it: a short run reports
typed messages, and after its run the child still decodes hover points until told to stop;
when it re-encodes the plane; a pause that comes after the last step."""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from vaedesk.service.process import ChildProcess
from vaedesk.service.protocol import (
    CheckpointSaved,
    Hover,
    HoverDecoded,
    Pause,
    Resume,
    RunFailed,
    RunFinished,
    SetDrawing,
    Snapshot,
    Status,
    TrainingRun,
)
from vaedesk.training import events
from vaedesk.training.child import SNAPSHOT_EVERY, _Controls, _Run, snapshot_due
from vaedesk.training.config import Progress, TrainConfig


def next_of(messages: queue.SimpleQueue, kind: type, timeout: float = 180.0):
    deadline = time.monotonic() + timeout
    while True:
        message = messages.get(timeout=max(0.1, deadline - time.monotonic()))
        assert not isinstance(message, RunFailed), message
        if isinstance(message, kind):
            return message


def test_a_short_run_reports_typed_messages_and_answers_hovers_after_it(tmp_path):
    messages: queue.SimpleQueue = queue.SimpleQueue()
    ends: list[str] = []
    child = ChildProcess("vaedesk.training.child", messages.put, ends.append)
    child.start()
    config = TrainConfig(epochs=1, limit=128, batch_size=64, width=4, hidden=16)
    child.send(TrainingRun(out=str(tmp_path / "tiny"), config=dataclasses.asdict(config)))
    child.send(SetDrawing(np.zeros((28, 28), np.float32)))
    try:
        seen = [next_of(messages, object)]
        while not isinstance(seen[-1], RunFinished):
            seen.append(next_of(messages, object))
        kinds = [type(message) for message in seen]
        assert kinds == [Snapshot, Progress, CheckpointSaved, Snapshot, Status, RunFinished], kinds
        first, epoch_end, checkpoint, final, status, finished = seen
        assert first.step == 1 and first.scatter_xy.shape[1] == 2 and len(first.labels) == len(first.scatter_xy)
        assert epoch_end.epoch_done and set(epoch_end.test) == {"recon", "kl", "neg_elbo"}
        assert checkpoint.epoch == 1 and checkpoint.path == finished.path
        assert final.final and final.step == 2 and final.epoch == 1.0 and status.text == "Evaluating on the test set…"
        assert not first.final and first.kl is not None and final.kl is not None
        assert finished.path.endswith("tiny.safetensors") and "neg_elbo" in finished.metrics
        # The run is over; its weights still decode the plane's points, in the child.
        child.send(Hover(0.5, -0.5))
        decoded = next_of(messages, HoverDecoded, timeout=30)
        assert (decoded.x, decoded.y) == (0.5, -0.5) and decoded.image.shape == (28, 28)
        assert child.is_alive()
    finally:
        child.stop()
    assert not child.is_alive() and child.process.returncode == 0 and ends == []


def snapshots_of(steps_per_epoch: int, epochs: int, first_step: int = 1) -> list[int]:
    """The steps after which a run re-encodes the plane, its final weights (the last step) included."""
    steps = steps_per_epoch * epochs
    due = [step for step in range(first_step, steps + 1) if snapshot_due(step, steps_per_epoch, steps, first_step)]
    return due + [steps]


@pytest.mark.parametrize("steps_per_epoch, epochs", [(24, 4), (5, 1), (469, 21), (10_000, 1), (1, 10), (3, 7),
                                                     (7, 3), (200, 50), (1000, 10)])
def test_the_plane_is_refreshed_every_epoch_and_ten_times_a_run(steps_per_epoch, epochs):
    steps = steps_per_epoch * epochs
    shown = snapshots_of(steps_per_epoch, epochs)
    assert shown[0] == 1 and shown[-1] == steps and shown == sorted(set(shown))
    assert len(shown) >= min(10, steps)
    for epoch in range(1, epochs + 1):  # a snapshot with weights from inside every epoch
        assert any((epoch - 1) * steps_per_epoch < step <= epoch * steps_per_epoch for step in shown), epoch
    gaps = np.diff(shown)
    assert gaps.max() <= SNAPSHOT_EVERY  # a long run too: every few hundred steps at most


def test_a_short_run_of_four_epochs_is_refreshed_a_dozen_times():
    """4 epochs of 3,000 images at batch 128: 96 steps, which used to show only the first."""
    assert snapshots_of(24, 4) == [1, 9, 18, 27, 36, 45, 54, 63, 72, 81, 90, 96]
    assert snapshots_of(5, 1) == [1, 2, 3, 4, 5]  # every step when a run has fewer than ten
    long = snapshots_of(469, 30)  # a long run keeps its pace: every 200 steps
    assert long[:4] == [1, 200, 400, 600] and len(long) == 14_070 // 200 + 2


def test_a_resumed_run_takes_a_first_look_at_once():
    assert snapshots_of(24, 4, first_step=49)[:3] == [49, 54, 63]


class _Sent:
    def __init__(self) -> None:
        self.kinds: list[str] = []

    def send(self, kind: str, **_fields) -> None:
        self.kinds.append(kind)


def test_a_pause_after_the_last_step_holds_the_run_before_its_evaluation():
    """Paused while the last epoch is saved, the run waits before measuring the model, and
    says it evaluates only once resumed."""
    controls, sent = _Controls(), _Sent()
    run = _Run({}, controls, sent)
    controls.handle(Pause())
    evaluating = threading.Thread(target=run.on_event, args=(events.Evaluating(Path("m.safetensors")),))
    evaluating.start()
    time.sleep(0.3)
    assert evaluating.is_alive() and sent.kinds == []
    controls.handle(Resume())
    evaluating.join(timeout=10)
    assert not evaluating.is_alive() and sent.kinds == ["status"]
