"""WorkerClient's pacing of a drawing's results: at most one posterior (and its decodings) per
frame, always the newest, never a stale one. Results are fed in through the worker's own
signals, as the thread reading the model process sends them."""

from __future__ import annotations

import numpy as np
import pytest

from vaedesk.gui.client.model_client import FRAME_MS, WorkerClient
from vaedesk.service.protocol import Channel, DecodeResult, EncodeResult
from vaedesk.state.session import Drawing

pytestmark = pytest.mark.subprocess


def posterior(request_id: int) -> EncodeResult:
    return EncodeResult(Channel.ENCODE, request_id, 0, np.zeros((28, 28), np.float32), None, np.zeros(2), np.eye(2),
                        np.zeros((8, 2)), np.zeros((8, 2)))


def samples(request_id: int) -> DecodeResult:
    return DecodeResult(Channel.SAMPLES, request_id, 0, np.zeros((0, 2)), np.zeros((9, 28, 28), np.float32))


@pytest.fixture
def client(qtbot):
    client = WorkerClient()
    shown: list[tuple[str, int]] = []
    client.encoded.connect(lambda r: shown.append(("posterior", r.request_id)))
    client.decoded.connect(lambda r: shown.append((r.channel.value, r.request_id)))
    client.shown = shown
    yield client
    client.stop()


def test_the_first_result_is_shown_at_once_and_a_burst_ends_with_the_newest(qtbot, client) -> None:
    client.worker.encoded.emit(posterior(1))
    assert client.shown == [("posterior", 1)]  # no frame to wait for
    for request_id in (2, 3, 4):
        client.worker.encoded.emit(posterior(request_id))
    assert client.shown == [("posterior", 1)]  # within the frame: they wait
    qtbot.waitUntil(lambda: len(client.shown) == 2, timeout=2000)
    assert client.shown == [("posterior", 1), ("posterior", 4)]  # 2 and 3 were replaced unseen
    qtbot.wait(3 * FRAME_MS)
    assert len(client.shown) == 2  # nothing more to show


def test_decodings_follow_their_posterior_in_the_same_frame(qtbot, client) -> None:
    client.worker.encoded.emit(posterior(1))
    client.worker.encoded.emit(posterior(2))
    client.worker.decoded.emit(samples(2))
    qtbot.waitUntil(lambda: len(client.shown) == 3, timeout=2000)
    assert client.shown == [("posterior", 1), ("posterior", 2), (Channel.SAMPLES.value, 2)]


def test_decodings_of_the_posterior_on_screen_are_shown_before_a_newer_posterior(qtbot, client) -> None:
    # While the pen moves a frame often ends between a posterior and its decodings: they
    # still reach the window (else the samples would freeze until the pen stops).
    client.worker.encoded.emit(posterior(1))
    client.worker.decoded.emit(samples(1))  # waits for the frame
    client.worker.encoded.emit(posterior(2))
    qtbot.waitUntil(lambda: len(client.shown) == 3, timeout=2000)
    assert client.shown == [("posterior", 1), (Channel.SAMPLES.value, 1), ("posterior", 2)]


def test_decodings_of_a_posterior_no_longer_shown_are_dropped(qtbot, client) -> None:
    client.worker.encoded.emit(posterior(1))
    client.worker.encoded.emit(posterior(2))
    qtbot.waitUntil(lambda: len(client.shown) == 2, timeout=2000)
    client.worker.decoded.emit(samples(1))  # late: 2 is on screen
    qtbot.wait(4 * FRAME_MS)
    assert client.shown == [("posterior", 1), ("posterior", 2)]


def test_a_waiting_posterior_of_a_forgotten_drawing_is_never_shown(qtbot, client) -> None:
    # Ids as the client gives them (no model is loaded, so the worker itself answers with
    # failures; the posteriors are fed in as if it had encoded).
    first, second = (client.encode(Drawing(image=np.zeros((28, 28), np.float32))) for _ in range(2))
    client.worker.encoded.emit(posterior(first))
    client.worker.encoded.emit(posterior(second))
    client.forget(Channel.ENCODE)  # the drawing was cleared meanwhile
    qtbot.wait(4 * FRAME_MS)
    assert client.shown == [("posterior", first)]
