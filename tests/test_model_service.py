"""The model process' service, headless: coalescing, errors as messages, cancelled exports,
and the process protocol over a real multiprocessing connection (no Qt)."""

from __future__ import annotations

import multiprocessing
import pickle
import threading

import numpy as np
import pytest

from vaedesk.data.sketches import draw_digit
from vaedesk.service.model_service import CANCEL_EXPORT, EVENTS, STOP, ModelService, serve
from vaedesk.service.protocol import (
    Channel,
    DecodeRequest,
    EncodeRequest,
    Envelope,
    ExportRequest,
    LensRequest,
    LoadRequest,
    MorphRequest,
)
from vaedesk.state.session import Drawing
from vaedesk.state.workspace import ResolvedEndpoint


class Recorder:
    """What the service sends, in order."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def __call__(self, kind: str, *args) -> None:
        assert kind in EVENTS, kind
        self.events.append((kind, *args))

    def of(self, kind: str) -> list[tuple]:
        return [event[1:] for event in self.events if event[0] == kind]


def drain(service: ModelService) -> None:
    while service.process_next(timeout=0):
        pass


@pytest.fixture
def loaded(tiny_model_path):
    sent = Recorder()
    service = ModelService(sent)
    service.submit(Envelope(Channel.LOAD, 1, 1, LoadRequest(str(tiny_model_path))))
    drain(service)
    assert [info.generation for (info,) in sent.of("model_loaded")] == [1], sent.events
    yield service, sent
    service.wait_for_helpers()


def drawing(seed: int) -> Drawing:
    return Drawing(strokes=draw_digit(3, np.random.default_rng(seed)))


def test_a_burst_of_encodes_is_answered_once_for_the_newest(loaded):
    service, sent = loaded
    for request_id in range(2, 12):
        service.submit(Envelope(Channel.ENCODE, request_id, 1, EncodeRequest(drawing(request_id))))
    drain(service)
    assert [result.request_id for (result,) in sent.of("encoded")] == [11]
    (samples,) = [result for (result,) in sent.of("decoded") if result.channel is Channel.SAMPLES]
    assert samples.request_id == 11 and samples.images.shape == (9, 28, 28)  # the mean and 8 samples


def test_the_lens_waits_while_a_newer_drawing_waits_to_be_encoded(loaded):
    service, sent = loaded
    points = np.zeros((4, 2))
    service.submit(Envelope(Channel.LENS, 2, 1, LensRequest(np.zeros(2), np.zeros(2), points, 2, (-1, 1, -1, 1))))
    service.submit(Envelope(Channel.ENCODE, 3, 1, EncodeRequest(drawing(1))))
    drain(service)
    kinds = [event[0] for event in sent.events if event[0] in ("encoded", "decoded")]
    assert kinds[0] == "encoded"
    assert any(event[0] == "decoded" and event[1].channel is Channel.LENS for event in sent.events)


def test_an_exception_is_one_failed_message_and_the_service_goes_on(loaded):
    service, sent = loaded

    def broken(_images):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied (1x9 and 8x4)")

    working = service.model.encode
    service.model.encode = broken
    service.submit(Envelope(Channel.ENCODE, 2, 1, EncodeRequest(drawing(1))))
    drain(service)
    assert sent.of("failed") == [(Channel.ENCODE, "RuntimeError: mat1 and mat2 shapes cannot be multiplied "
                                  "(1x9 and 8x4)")]
    service.model.encode = working
    service.submit(Envelope(Channel.HOVER, 3, 1, DecodeRequest(np.array([[0.5, -0.5]]))))
    drain(service)
    (hover,) = sent.of("decoded")
    assert hover[0].request_id == 3 and hover[0].images.shape == (1, 28, 28)


def test_a_bad_model_name_is_a_clear_message(tiny_model_path, tmp_path):
    sent = Recorder()
    service = ModelService(sent)
    service.submit(Envelope(Channel.LOAD, 1, 1, LoadRequest(str(tmp_path / "missing.safetensors"))))
    drain(service)
    ((channel, message),) = sent.of("failed")
    assert channel is Channel.LOAD and "missing" in message and "\n" not in message
    assert sent.of("model_loaded") == []


def test_a_cancelled_export_says_so_and_leaves_no_file(loaded, tmp_path):
    service, sent = loaded
    ends = (ResolvedEndpoint(xy=(-1.0, 0.0)), ResolvedEndpoint(xy=(1.0, 0.0)))
    export = ExportRequest(MorphRequest(ends, 40, "linear", "linear"), str(tmp_path / "m.gif"), "gif", 10.0, 64,
                           False)
    service.submit(Envelope(Channel.EXPORT, 5, 1, export))
    service.cancel_export(5)
    drain(service)
    assert sent.of("export_cancelled") == [()] and sent.of("export_finished") == []
    assert list(tmp_path.iterdir()) == []
    # A later export is not touched by the earlier cancel.
    service.submit(Envelope(Channel.EXPORT, 6, 1, export))
    drain(service)
    assert sent.of("export_finished") == [(str(tmp_path / "m.gif"),)]
    assert sent.of("export_progress")[-1] == (40, 40)


def test_serve_answers_over_a_connection_and_stops_when_told(tiny_model_path):
    ours, theirs = multiprocessing.Pipe()
    thread = threading.Thread(target=serve, args=(theirs,))
    thread.start()
    ours.send(Envelope(Channel.LOAD, 1, 1, LoadRequest(str(tiny_model_path))))
    kind, info = ours.recv()
    assert kind == "model_loaded" and info.generation == 1 and info.scatter_xy.shape[1] == 2
    ours.send(Envelope(Channel.ENCODE, 2, 1, EncodeRequest(drawing(4))))
    received = []
    while not any(m[0] == "decoded" for m in received):
        received.append(ours.recv())
    encoded = next(m[1] for m in received if m[0] == "encoded")
    assert encoded.request_id == 2 and encoded.posterior.mean.shape == (1, info.latent_dim)
    ours.send((CANCEL_EXPORT, 99))  # nothing to cancel: harmless
    ours.send((STOP,))
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
    payload = pickle.dumps([event for event in sent.events if event[0] in ("model_loaded", "encoded", "decoded")])
    code = ("import pickle, sys; events = pickle.loads(sys.stdin.buffer.read()); "
            "print(len(events), 'torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], input=payload, capture_output=True, timeout=120)
    assert result.stdout.decode().split() == ["3", "False"], result.stderr.decode()[-2000:]
