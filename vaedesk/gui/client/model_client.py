"""The window's side of the model process: :class:`ModelProcess` starts and watches it,
:class:`WorkerClient` is what the window talks to.

The model runs in its own process (:mod:`vaedesk.service.model_service`), so its work never holds
the window's interpreter lock. A :class:`vaedesk.service.process.ChildProcess` starts it and
reads its results on a thread; :class:`ModelProcess` re-emits each as the Qt signal of its
type, queued to the window's thread.

:class:`WorkerClient` stamps each request with an id and the model generation, and re-emits
only the results still wanted, so the window never checks. If the process dies (killed, out
of memory, a crash in a library) the client says so once, starts a new one and reloads the
model that was shown.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

from vaedesk.service.process import ChildProcess, running_children
from vaedesk.service.protocol import (
    AttributeRequest,
    AttributeResult,
    CancelExport,
    CancelViewFit,
    Channel,
    CountRequest,
    DecodeRequest,
    DecodeResult,
    DensityResult,
    EncodeRequest,
    EncodeResult,
    Envelope,
    ExplainRequest,
    ExportCancelled,
    ExportFinished,
    ExportProgress,
    ExportRequest,
    Failed,
    GridRequest,
    InsightResult,
    LatentRequest,
    LensRequest,
    LoadRequest,
    ModelInfo,
    MorphRequest,
    PriorDrawsRequest,
    PriorDrawsResult,
    PriorSamplesResult,
    ReferenceReady,
    Request,
    Result,
    TraversalRequest,
    TraversalResult,
    ViewFitCancelled,
    ViewFitProgress,
)

if TYPE_CHECKING:
    from vaedesk.latent.attributes import Member
    from vaedesk.state.session import Drawing

log = logging.getLogger(__name__)

# A drawing's posterior and its decodings reach the window at most once per frame of a 60 Hz
# screen. The pen moves at 120 Hz or more and the worker keeps up with it, but showing each
# result cost the GUI thread more than the frames in between (the window's longest blocks
# while drawing); the newest result is always shown, at most one frame late.
FRAME_MS = 16
# A process that dies this many times in a row before it has loaded a model is not restarted.
MAX_RESTARTS = 2
MODEL_MODULE = "vaedesk.service.model_service"


def running_model_processes() -> list[ChildProcess]:
    """The model processes this process has started that still run (one per open window)."""
    return running_children(MODEL_MODULE)


class ModelProcess(QObject):
    """One model process and the signals its messages come out as, one per message type."""

    model_loaded = Signal(object)  # ModelInfo
    encoded = Signal(object)  # EncodeResult
    decoded = Signal(object)  # DecodeResult
    reported = Signal(object)  # InsightResult, TraversalResult, AttributeResult, DensityResult, PriorSamplesResult
    reference_ready = Signal(int)  # generation: explanations can be asked for this model now
    failed = Signal(object, str)  # Channel, one-line message
    export_progress = Signal(int, int)
    export_finished = Signal(str)  # path
    export_cancelled = Signal()
    view_fit = Signal(object)  # ViewFitProgress or ViewFitCancelled
    ended = Signal(str)  # the process ended without being asked to: how, in a few words

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._handlers: dict[type, Callable] = {
            ModelInfo: self.model_loaded.emit, EncodeResult: self.encoded.emit, DecodeResult: self.decoded.emit,
            InsightResult: self.reported.emit, TraversalResult: self.reported.emit,
            AttributeResult: self.reported.emit, DensityResult: self.reported.emit,
            PriorSamplesResult: self.reported.emit, PriorDrawsResult: self.reported.emit,
            ReferenceReady: lambda m: self.reference_ready.emit(m.generation),
            Failed: lambda m: self.failed.emit(m.channel, m.message),
            ExportProgress: lambda m: self.export_progress.emit(m.done, m.total),
            ExportFinished: lambda m: self.export_finished.emit(m.path),
            ExportCancelled: lambda _m: self.export_cancelled.emit(),
            ViewFitProgress: self.view_fit.emit, ViewFitCancelled: self.view_fit.emit,
        }
        self.process = ChildProcess(MODEL_MODULE, self._dispatch, self.ended.emit, name="vaedesk-model", spare=True)
        self.start()

    def start(self) -> None:
        """Start a new process (after :meth:`stop`, or once the last one has ended); returns
        at once: the process starts beside the window."""
        self.process.start()

    def _dispatch(self, message: object) -> None:
        """Called on the reading thread: the signal of the message's type (queued onwards)."""
        handler = self._handlers.get(type(message))
        if handler is None:
            raise TypeError(f"unknown message {type(message).__name__}")
        handler(message)

    def send(self, message: object) -> None:
        """Send a request (an Envelope) or a control message; dropped once the process has
        ended (the reader reports that)."""
        self.process.send(message)

    def pid(self) -> int | None:
        return self.process.pid()

    def is_alive(self) -> bool:
        return self.process.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the process to finish what it is doing and end; wait for it, then end it (it
        writes its caches whole or not at all, so a long job cut short loses nothing)."""
        self.process.stop(timeout)


class WorkerClient(QObject):
    """The window's handle on the model: typed requests, fresh results, the process' lifetime.

    Results are re-emitted only while still wanted: of the current model (generation), newer
    than the last one shown on their channel, and not of a channel the window has since
    :meth:`forget`-ten (a cleared drawing, removed morph endpoints). The SAMPLES decodings
    are re-emitted only for the posterior shown last.

    The drawing's results (ENCODE and its SAMPLES) are paced: one comes out at once, the
    ones that arrive within the next :data:`FRAME_MS` wait for that frame to end, and only
    the newest posterior and the newest decodings are re-emitted then, together (so the
    window repaints once), decodings after their own posterior.
    """

    model_loaded = Signal(object)  # ModelInfo
    encoded = Signal(object)  # EncodeResult
    decoded = Signal(object)  # DecodeResult
    reported = Signal(object)  # InsightResult, DensityResult, PriorSamplesResult
    failed = Signal(object, str)  # Channel, one-line message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = ModelProcess(self)
        self._ids = itertools.count(1)
        self._generations = itertools.count(1)
        self._generation = 0  # of the model asked for last
        self._shown_generation = 0  # of the model whose results are shown
        self._shown: dict[Channel, int] = {}  # newest request id shown, per channel
        self._floor: dict[Channel, int] = {}  # results up to this id are no longer wanted
        self._export_id = 0  # the export under way, if any
        self._loads: dict[int, LoadRequest] = {}  # generation -> what was asked, until it is shown
        self._shown_load: LoadRequest | None = None  # what to load again in a new process
        self._restarts = 0  # new processes since a model last loaded
        self._stopped = False
        self._waiting_posterior: EncodeResult | None = None  # for the frame to end
        self._waiting_samples: DecodeResult | None = None
        self._frame = QTimer(self, singleShot=True, interval=FRAME_MS)
        self._frame.timeout.connect(self._show_waiting)
        self.worker.model_loaded.connect(self._on_model_loaded)
        self.worker.encoded.connect(self._on_encoded)
        # Bound methods of this QObject, so the results are queued to the GUI thread.
        self.worker.decoded.connect(self._on_decoded)
        self.worker.reported.connect(self._on_reported)
        self.worker.failed.connect(self._on_failed)
        self.worker.view_fit.connect(self._on_view_fit)
        self.worker.ended.connect(self._on_process_ended)
        # Each channel's subscribers (subscribe); the signals above stay for whoever wants all.
        self._subscribers: dict[Channel, list[Callable[[Any], None]]] = {}
        self._failure_subscribers: dict[Channel, list[Callable[[str], None]]] = {}
        self.model_loaded.connect(lambda info: self._route(Channel.LOAD, info))
        self.encoded.connect(lambda result: self._route(Channel.ENCODE, result))
        self.decoded.connect(lambda result: self._route(result.channel, result))
        self.reported.connect(lambda result: self._route(result.channel, result))
        self.failed.connect(self._route_failure)

    # -- routing: each result to the subscribers of its channel -----------------------------
    def subscribe(self, channel: Channel, slot: Callable[[Any], None] | None = None,
                  failed: Callable[[str], None] | None = None) -> None:
        """Call ``slot(result)`` with each wanted result on ``channel`` (the ModelInfo on LOAD,
        the EncodeResult on ENCODE, a fit's ViewFitProgress or ViewFitCancelled on VIEW_FIT)
        and ``failed(message)`` when a request on it fails, in the order subscribed.

        ``slot`` takes ``Any``: which result a channel carries is known only at run time (see
        :class:`~vaedesk.service.protocol.Channel`), so each slot is typed for its own."""
        if slot is not None:
            self._subscribers.setdefault(channel, []).append(slot)
        if failed is not None:
            self._failure_subscribers.setdefault(channel, []).append(failed)

    def _route(self, channel: Channel, result: object) -> None:
        for slot in list(self._subscribers.get(channel, ())):
            slot(result)

    def _route_failure(self, channel: Channel, message: str) -> None:
        for slot in list(self._failure_subscribers.get(channel, ())):
            slot(message)

    # -- freshness: the one place that decides ----------------------------------------------
    def _wanted(self, channel: Channel, generation: int, request_id: int) -> bool:
        return (generation == self._shown_generation
                and request_id > max(self._shown.get(channel, 0), self._floor.get(channel, 0)))

    def forget(self, channel: Channel) -> None:
        """Results of requests made so far on ``channel`` are no longer wanted."""
        self._floor[channel] = next(self._ids)

    def _on_model_loaded(self, info: ModelInfo) -> None:
        if info.generation != self._generation:
            return  # a model asked for before the newest one
        self._shown_generation = info.generation
        self._shown.clear()
        self._shown_load = self._loads.get(info.generation, self._shown_load)
        self._loads = {g: r for g, r in self._loads.items() if g > info.generation}
        self._restarts = 0
        self.model_loaded.emit(info)

    def _on_view_fit(self, event: ViewFitProgress | ViewFitCancelled) -> None:
        """A view fit's progress, or its end by cancelling, for the load asked for last only;
        once cancelled, the shown model is the current one again."""
        if event.generation != self._generation:
            return
        if isinstance(event, ViewFitCancelled):
            self._loads.pop(event.generation, None)
            self._generation = self._shown_generation
        self._route(Channel.VIEW_FIT, event)

    def _on_encoded(self, result: EncodeResult) -> None:
        if self._wanted(Channel.ENCODE, result.generation, result.request_id):
            self._waiting_posterior = result  # replaces one still waiting: never shown
            self._show_when_due()

    def _on_decoded(self, result: DecodeResult) -> None:
        if result.channel is Channel.SAMPLES:
            self._waiting_samples = result  # checked when shown: its posterior may still wait
            self._show_when_due()
        else:
            self._deliver(result, self.decoded)

    def _show_when_due(self) -> None:
        if not self._frame.isActive():
            self._show_waiting()

    def _show_waiting(self) -> None:
        """Re-emit the newest posterior and decodings still wanted; the next wait for the frame.

        Decodings of the posterior on screen go first (while the pen moves, a frame often ends
        between a posterior and its decodings: dropping them would leave the samples unchanged
        until the pen stops); decodings of the waiting posterior go after it."""
        posterior, samples = self._waiting_posterior, self._waiting_samples
        self._waiting_posterior = self._waiting_samples = None
        own = samples is not None and posterior is not None and samples.request_id == posterior.request_id
        shown = False
        if samples is not None and not own:
            shown = self._deliver(samples, self.decoded)  # dropped unless of the posterior shown
        if posterior is not None and self._wanted(Channel.ENCODE, posterior.generation, posterior.request_id):
            self._shown[Channel.ENCODE] = posterior.request_id
            self.encoded.emit(posterior)
            shown = True
        if own and samples is not None:
            shown = self._deliver(samples, self.decoded) or shown
        if shown:
            self._frame.start()

    def _on_reported(self, result: Result) -> None:
        self._deliver(result, self.reported)

    def _deliver(self, result: Result, signal: SignalInstance) -> bool:
        if result.channel.follows_encode:  # of the posterior shown, or of none
            wanted = (result.generation == self._shown_generation
                      and result.request_id == self._shown.get(Channel.ENCODE)
                      and result.request_id > self._floor.get(Channel.ENCODE, 0))
        else:
            wanted = self._wanted(result.channel, result.generation, result.request_id)
        if wanted:
            self._shown[result.channel] = result.request_id
            signal.emit(result)
        return wanted

    def _on_failed(self, channel: Channel, message: str) -> None:
        if channel is Channel.LOAD:
            self._generation = self._shown_generation  # the shown model stays the current one
        self.failed.emit(channel, message)

    def _on_process_ended(self, how: str) -> None:
        """The model process died: say so once, start another, show the same model again.

        A model that was being loaded counts as the culprit: the load fails (the window then
        keeps or falls back to a model that works). A process that dies again before any
        model loads is not restarted."""
        if self._stopped:  # it ended as the window closed: nothing to say, nothing to restart
            return
        loading = self._generation != self._shown_generation
        self._restarts += 1
        restart = self._restarts <= MAX_RESTARTS
        if restart:
            self.worker.start()
            again = f" and {self._shown_load.name} loaded again" if self._shown_load is not None else ""
            message = f"The model process {how}; a new one was started{again}."
        else:
            message = f"The model process {how} again; it was not started again. Restart vaedesk."
        self._on_failed(Channel.LOAD if loading else Channel.ENCODE, message)
        if restart and self._shown_load is not None:
            self.load_model(self._shown_load.name, self._shown_load.view)

    def is_running(self) -> bool:
        """Whether the model process is up (it is started again after a crash)."""
        return self.worker.is_alive()

    # -- requests ---------------------------------------------------------------------------
    def _send(self, channel: Channel, request: Request) -> int:
        request_id = next(self._ids)
        self.worker.send(Envelope(channel, request_id, self._generation, request))
        return request_id

    def load_model(self, name: str, view: str = "pca") -> int:
        """Load a model, its latent space shown in ``view`` (above two dimensions)."""
        self._generation = next(self._generations)
        request = LoadRequest(name, view)
        self._loads[self._generation] = request
        return self._send(Channel.LOAD, request)

    def cancel_view_fit(self) -> None:
        """Stop the view fit the model asked for last waits for (VIEW_FIT then hears
        ``ViewFitCancelled``, unless the fit was done and its model comes as usual)."""
        if self._generation != self._shown_generation:
            self.worker.send(CancelViewFit(self._generation))

    def encode(self, drawing: Drawing, new_samples: bool = False) -> int:
        """Encode a drawing (strokes, or an imported picture's model input); ``new_samples``
        draws new posterior samples (Resample)."""
        seed = int(np.random.default_rng().integers(1 << 31)) if new_samples else None
        return self._send(Channel.ENCODE, EncodeRequest(drawing, seed))

    def hover(self, x: float, y: float) -> int:
        return self._send(Channel.HOVER, DecodeRequest(np.array([[x, y]], np.float64)))

    def decode_pins(self, ids: Sequence[int], latents: np.ndarray) -> int:
        """Decode the pins' latent points (N, D); the result carries where the view puts them."""
        latents = np.asarray(latents, np.float64)
        return self._send(Channel.PINS, DecodeRequest(np.zeros((0, 2)), tuple(ids), latents.copy()))

    def manifold(self, x_range: tuple[float, float], y_range: tuple[float, float], n: int) -> int:
        return self._send(Channel.GRID, GridRequest(x_range, y_range, n))

    def lens(self, request: LensRequest) -> int:
        return self._send(Channel.LENS, request)

    def insight(self, drawing: Drawing) -> int:
        """The drawing's loss terms and nearest training digits (while it is drawn)."""
        return self._send(Channel.INSIGHT, ExplainRequest(drawing))

    def likelihood(self, drawing: Drawing) -> int:
        """The same with the importance-weighted -log p(x) (a finished drawing)."""
        return self._send(Channel.LIKELIHOOD, ExplainRequest(drawing))

    def traversal(self, latent: np.ndarray | None = None, xy: tuple[float, float] | None = None,
                  steps: int = 9) -> int:
        """Every dimension swept from ``latent`` (D,) or from the latent of plane point ``xy``."""
        return self._send(Channel.TRAVERSAL, TraversalRequest(
            None if latent is None else np.asarray(latent, np.float64).copy(), xy, steps))

    def decode_latent(self, latent: np.ndarray) -> int:
        return self._send(Channel.LATENT, LatentRequest(np.asarray(latent, np.float64).copy()))

    def attribute(self, group_a: Sequence[Member], group_b: Sequence[Member]) -> int:
        return self._send(Channel.ATTRIBUTE, AttributeRequest(tuple(group_a), tuple(group_b)))

    def density(self, bins: int = 160) -> int:
        return self._send(Channel.DENSITY, CountRequest(bins))

    def prior_samples(self, n: int = 8) -> int:
        return self._send(Channel.PRIOR_SAMPLES, CountRequest(n))

    def prior_draws(self, seed: int, shown: int = 8, measured: int = 500) -> int:
        """Decodings of draws from the prior made from ``seed``, and where they land."""
        return self._send(Channel.PRIOR_DRAWS, PriorDrawsRequest(seed, shown, measured))

    def morph_preview(self, morph: MorphRequest) -> int:
        return self._send(Channel.MORPH, morph)

    def export(self, morph: MorphRequest, path: str, fmt: str, *, fps: float, size: int, pingpong: bool) -> int:
        self._export_id = self._send(Channel.EXPORT, ExportRequest(morph, path, fmt, fps, size, pingpong))
        return self._export_id

    def cancel_export(self) -> None:
        """Stop the export under way (it reports ``export_cancelled``)."""
        if self._export_id:
            self.worker.send(CancelExport(self._export_id))

    def stop(self) -> None:
        """End the model process (an export under way is cancelled first)."""
        self._stopped = True
        self.cancel_export()
        self.worker.stop()
