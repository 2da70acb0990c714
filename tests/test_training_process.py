"""The training child, driven over the protocol as the studio drives it: a short run reports
typed messages, and after its run the child still decodes hover points until told to stop."""

from __future__ import annotations

import dataclasses
import queue
import time

import numpy as np

from vaedesk.service.process import ChildProcess
from vaedesk.service.protocol import (
    CheckpointSaved,
    Hover,
    HoverDecoded,
    RunFailed,
    RunFinished,
    SetDrawing,
    Snapshot,
    Status,
    TrainingRun,
)
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
        assert final.step == -1 and status.text == "Evaluating on the test set…"
        assert finished.path.endswith("tiny.safetensors") and "neg_elbo" in finished.metrics
        # The run is over; its weights still decode the plane's points, in the child.
        child.send(Hover(0.5, -0.5))
        decoded = next_of(messages, HoverDecoded, timeout=30)
        assert (decoded.x, decoded.y) == (0.5, -0.5) and decoded.image.shape == (28, 28)
        assert child.is_alive()
    finally:
        child.stop()
    assert not child.is_alive() and child.process.returncode == 0 and ends == []
