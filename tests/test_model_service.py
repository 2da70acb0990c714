"""The model process' service, headless: coalescing, errors as messages, cancelled exports,
the protocol over a real multiprocessing connection, and the process itself (no Qt)."""

from __future__ import annotations

import multiprocessing
import pickle
import threading

import numpy as np
import pytest

from vaedesk.data.sketches import draw_digit
from vaedesk.service.model_service import ModelService, serve
from vaedesk.service.protocol import (
    CancelExport,
    Channel,
    DecodeRequest,
    DecodeResult,
    EncodeRequest,
    EncodeResult,
    Envelope,
    ExportCancelled,
    ExportFinished,
    ExportProgress,
    ExportRequest,
    Failed,
    LensRequest,
    LoadRequest,
    ModelInfo,
    MorphRequest,
    PriorDrawsRequest,
    PriorDrawsResult,
    ReferenceReady,
    Result,
    Stop,
)
from vaedesk.state.session import Drawing
from vaedesk.state.workspace import ResolvedEndpoint


class Recorder:
    """What the service sends, in order."""

    def __init__(self) -> None:
        self.events: list[object] = []

    def __call__(self, message: object) -> None:
        assert type(message).__module__ == "vaedesk.service.protocol", message
        self.events.append(message)

    def of(self, kind: type) -> list:
        return [event for event in self.events if isinstance(event, kind)]


def drain(service: ModelService) -> None:
    while service.process_next(timeout=0):
        pass


@pytest.fixture
def loaded(tiny_model_path):
    sent = Recorder()
    service = ModelService(sent)
    service.submit(Envelope(Channel.LOAD, 1, 1, LoadRequest(str(tiny_model_path))))
    drain(service)
    assert [info.generation for info in sent.of(ModelInfo)] == [1], sent.events
    yield service, sent
    service.wait_for_helpers()


def drawing(seed: int) -> Drawing:
    return Drawing(strokes=draw_digit(3, np.random.default_rng(seed)))


def test_a_burst_of_encodes_is_answered_once_for_the_newest(loaded):
    service, sent = loaded
    for request_id in range(2, 12):
        service.submit(Envelope(Channel.ENCODE, request_id, 1, EncodeRequest(drawing(request_id))))
    drain(service)
    assert [result.request_id for result in sent.of(EncodeResult)] == [11]
    (samples,) = [result for result in sent.of(DecodeResult) if result.channel is Channel.SAMPLES]
    assert samples.request_id == 11 and samples.images.shape == (9, 28, 28)  # the mean and 8 samples


def test_prior_draws_are_decoded_and_placed_the_same_for_a_seed(loaded):
    service, sent = loaded
    for request_id in (2, 3):
        service.submit(Envelope(Channel.PRIOR_DRAWS, request_id, 1, PriorDrawsRequest(seed=5, shown=4, measured=60)))
        drain(service)
    first, second = sent.of(PriorDrawsResult)
    assert first.images.shape == (4, 28, 28) and first.xy.shape == (4, 2) and len(first.votes.vote) == 60
    np.testing.assert_array_equal(first.images, second.images)  # the same ε, the same decodings
    np.testing.assert_array_equal(first.votes.vote, second.votes.vote)
    assert 0.0 <= first.votes.share <= 1.0 and 0.0 <= first.test_share <= 1.0


def test_the_lens_waits_while_a_newer_drawing_waits_to_be_encoded(loaded):
    service, sent = loaded
    points = np.zeros((4, 2))
    service.submit(Envelope(Channel.LENS, 2, 1, LensRequest(np.zeros(2), np.zeros(2), points, 2, (-1, 1, -1, 1))))
    service.submit(Envelope(Channel.ENCODE, 3, 1, EncodeRequest(drawing(1))))
    drain(service)
    results = [event for event in sent.events if isinstance(event, (EncodeResult, DecodeResult))]
    assert isinstance(results[0], EncodeResult)
    assert any(isinstance(event, DecodeResult) and event.channel is Channel.LENS for event in results)


def test_an_exception_is_one_failed_message_and_the_service_goes_on(loaded):
    service, sent = loaded

    def broken(_images):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied (1x9 and 8x4)")

    working = service.model.encode
    service.model.encode = broken
    service.submit(Envelope(Channel.ENCODE, 2, 1, EncodeRequest(drawing(1))))
    drain(service)
    assert sent.of(Failed) == [Failed(Channel.ENCODE, "RuntimeError: mat1 and mat2 shapes cannot be multiplied "
                                         "(1x9 and 8x4)")]
    service.model.encode = working
    service.submit(Envelope(Channel.HOVER, 3, 1, DecodeRequest(np.array([[0.5, -0.5]]))))
    drain(service)
    (hover,) = sent.of(DecodeResult)
    assert hover.request_id == 3 and hover.images.shape == (1, 28, 28)


def test_a_bad_model_name_is_a_clear_message(tiny_model_path, tmp_path):
    sent = Recorder()
    service = ModelService(sent)
    service.submit(Envelope(Channel.LOAD, 1, 1, LoadRequest(str(tmp_path / "missing.safetensors"))))
    drain(service)
    (failed,) = sent.of(Failed)
    assert failed.channel is Channel.LOAD and "missing" in failed.message and "\n" not in failed.message
    assert sent.of(ModelInfo) == []


def test_a_cancelled_export_says_so_and_leaves_no_file(loaded, tmp_path):
    service, sent = loaded
    ends = (ResolvedEndpoint(latent=(-1.0, 0.0)), ResolvedEndpoint(latent=(1.0, 0.0)))
    export = ExportRequest(MorphRequest(ends, 40, "linear", "linear"), str(tmp_path / "m.gif"), "gif", 10.0, 64,
                           False)
    service.submit(Envelope(Channel.EXPORT, 5, 1, export))
    service.cancel_export(5)
    drain(service)
    assert sent.of(ExportCancelled) == [ExportCancelled()] and sent.of(ExportFinished) == []
    assert list(tmp_path.iterdir()) == []
    # A later export is not touched by the earlier cancel.
    service.submit(Envelope(Channel.EXPORT, 6, 1, export))
    drain(service)
    assert sent.of(ExportFinished) == [ExportFinished(str(tmp_path / "m.gif"))]
    assert sent.of(ExportProgress)[-1] == ExportProgress(40, 40)


def test_serve_answers_over_a_connection_and_stops_when_told(tiny_model_path):
    ours, theirs = multiprocessing.Pipe()
    thread = threading.Thread(target=serve, args=(theirs,))
    thread.start()
    ours.send(Envelope(Channel.LOAD, 1, 1, LoadRequest(str(tiny_model_path))))
    info = ours.recv()
    assert isinstance(info, ModelInfo) and info.generation == 1 and info.scatter_xy.shape[1] == 2
    ours.send(Envelope(Channel.ENCODE, 2, 1, EncodeRequest(drawing(4))))
    received = []
    while not any(isinstance(m, DecodeResult) for m in received):
        received.append(ours.recv())
    encoded = next(m for m in received if isinstance(m, EncodeResult))
    assert encoded.request_id == 2 and encoded.posterior.mean.shape == (1, info.latent_dim)
    assert all(isinstance(m, Result) and m.generation == 1 for m in received)
    ours.send(CancelExport(99))  # nothing to cancel: harmless
    ours.send(Stop())
    thread.join(60)
    assert not thread.is_alive()


def test_serve_ends_when_the_app_goes(tiny_model_path):
    ours, theirs = multiprocessing.Pipe()
    thread = threading.Thread(target=serve, args=(theirs,))
    thread.start()
    ours.close()  # the app's end closes, as when it crashes
    thread.join(30)
    assert not thread.is_alive()


@pytest.mark.subprocess
def test_what_the_window_receives_does_not_need_torch(loaded):
    # The window's process never imports torch: results unpickle with NumPy alone.
    import subprocess
    import sys

    service, sent = loaded
    service.submit(Envelope(Channel.ENCODE, 2, 1, EncodeRequest(drawing(2))))
    drain(service)
    payload = pickle.dumps([event for event in sent.events if isinstance(event, Result)])
    code = ("import pickle, sys; events = pickle.loads(sys.stdin.buffer.read()); "
            "print(len(events), 'torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], input=payload, capture_output=True, timeout=120)
    assert result.stdout.decode().split() == ["3", "False"], result.stderr.decode()[-2000:]


# --------------------------------------------------------------------------- the process


class Child:
    """A ChildProcess and what it said: its messages on a queue, its unexpected ends."""

    def __init__(self, module: str) -> None:
        import queue

        from vaedesk.service.process import ChildProcess

        self.messages: queue.SimpleQueue = queue.SimpleQueue()
        self.ends: list[str] = []
        self.process = ChildProcess(module, self.messages.put, self.ends.append)
        self.process.start()

    def next(self, kind: type, timeout: float = 120.0):
        while True:
            message = self.messages.get(timeout=timeout)
            if isinstance(message, kind):
                return message


def test_the_model_process_loads_answers_and_ends_when_asked(tiny_model_path):
    import os

    from vaedesk.service.process import running_children

    child = Child("vaedesk.service.model_service")
    child.process.send(Envelope(Channel.LOAD, 1, 1, LoadRequest(str(tiny_model_path))))
    assert child.next(ModelInfo).generation == 1
    pid = child.process.pid()
    assert pid != os.getpid() and child.process in running_children("vaedesk.service.model_service")
    child.process.send(Envelope(Channel.HOVER, 2, 1, DecodeRequest(np.array([[0.0, 0.0]]))))
    assert child.next(DecodeResult).images.shape == (1, 28, 28)
    assert child.next(ReferenceReady).generation == 1  # nothing left under way
    child.process.stop()
    assert not child.process.is_alive() and child.ends == []  # asked to end: nothing to report
    assert child.process.process.returncode == 0


def test_a_killed_child_is_reported_once_in_a_few_words():
    import os
    import signal
    import time

    child = Child("vaedesk.service.model_service")
    pid = child.process.pid()
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while not child.ends and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    assert child.ends == ["was ended by signal SIGKILL"]
    child.process.stop()  # after its end: harmless
    assert child.ends == ["was ended by signal SIGKILL"]


def test_a_child_that_does_not_stop_when_asked_is_ended_after_the_timeout(tmp_path, monkeypatch):
    import time

    (tmp_path / "stubborn_child.py").write_text("import time\ntime.sleep(120)\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    child = Child("stubborn_child")
    assert child.process.pid() is not None
    started = time.monotonic()
    child.process.stop(timeout=0.5)
    assert not child.process.is_alive() and time.monotonic() - started < 10
    assert child.ends == []


def test_a_module_that_cannot_start_is_one_message(monkeypatch):
    import time

    child = Child("vaedesk.no_such_module")
    deadline = time.monotonic() + 30
    while not child.ends and time.monotonic() < deadline:
        time.sleep(0.05)
    assert child.ends == ["exited with code 1"]
