"""The model worker: one object on its own QThread owns the model and does all model work.

Requests (typed, in :mod:`.protocol`) arrive on channels. Interactive channels (encode,
hover, pins, grid, morph preview) are coalesced: each holds only its newest request, so
while the worker is busy a burst of 200 mouse moves collapses into one encode of the newest
drawing, and the final state is always processed. The worker calls the core (``Model``,
``Posterior.sample``, ``morphing``) rather than repeating it.

:class:`WorkerClient` is the GUI thread's side: it stamps each request with an id and the
model generation, and re-emits only the results still wanted, so the window never checks.

Exports are jobs, not coalesced, and can be cancelled. Any exception in the worker becomes a
``failed`` signal with a one-line message; the thread keeps running.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Sequence

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from ..attributes import Member
from ..errors import ExportCancelled, VaedeskError
from ..export import save_gif, save_png_frames
from ..latent import density, grid, tile
from ..preprocess import preprocess_strokes
from ..session import Drawing
from ..workspace import ResolvedEndpoint
from .protocol import (
    AttributeRequest, AttributeResult, Channel, CountRequest, DecodeRequest, DecodeResult, DensityResult,
    EncodeRequest, EncodeResult, Envelope, ExportRequest, GridRequest, InsightResult, ExplainRequest, LatentRequest,
    LensRequest, LoadRequest, ModelInfo, MorphRequest, PriorSamplesResult, TraversalRequest, TraversalResult,
)
from .threads import start_thread, stop_thread

log = logging.getLogger(__name__)

SAMPLE_COUNT = 8
SCATTER_LIMIT = 10_000
# Posterior samples behind a drawing's explanation: 16 while drawing (a few ms, so the posterior
# keeps following the pen), 256 on pen release for the importance-weighted -log p(x) (~40 ms).
INSIGHT_SAMPLES = 16
LIKELIHOOD_SAMPLES = 256
NEIGHBOURS = 8
# A drawing's posterior and its decodings reach the window at most once per frame of a 60 Hz
# screen. The pen moves at 120 Hz or more and the worker keeps up with it, but showing each
# result cost the GUI thread more than the frames in between (the window's longest blocks
# while drawing); the newest result is always shown, at most one frame late.
FRAME_MS = 16


def _return_free_memory() -> None:
    """Hand the heap memory a batch job freed back to the system (glibc keeps it otherwise).

    Loading a model, the manifold and exports allocate tens of MB for a moment; without
    this the process keeps that high-water mark, and the next job's peak comes on top of it.
    """
    global _malloc_trim
    if _malloc_trim is None:
        try:
            import ctypes

            _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):  # not glibc: nothing to do
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim = None


class _Slot:
    """The newest pending request of one coalesced channel."""

    def __init__(self) -> None:
        self.envelope: Envelope | None = None
        self.pending = False


class ModelWorker(QObject):
    """Lives on the worker thread. Use it through :class:`WorkerClient`."""

    model_loaded = Signal(object)  # ModelInfo
    encoded = Signal(object)  # EncodeResult
    decoded = Signal(object)  # DecodeResult
    reported = Signal(object)  # InsightResult, DensityResult, PriorSamplesResult
    reference_ready = Signal(int)  # generation: explanations can be asked for this model now
    failed = Signal(object, str)  # Channel, one-line message
    export_progress = Signal(int, int)
    export_finished = Signal(str)  # path
    export_cancelled = Signal()
    _wake = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._slots: dict[Channel, _Slot] = {}
        self.model = None
        self.view = None
        self.test_means: np.ndarray | None = None  # (T, D) posterior means of the shown test set
        self.reference = None  # explain.ModelReference of the model, once built
        self._reference_thread: threading.Thread | None = None
        self._training_split = None  # (data folder, its training images) for the nearest digits
        self.generation = 0
        # Samples reuse one seed, so they move smoothly with the drawing; "Resample" picks a new one.
        self.sample_seed = 0
        self._all_cores: int | None = None
        self._handlers: dict[Channel, Callable[[Envelope], None]] = {
            Channel.LOAD: self._load, Channel.ENCODE: self._encode, Channel.HOVER: self._decode_points,
            Channel.PINS: self._decode_points, Channel.GRID: self._grid, Channel.MORPH: self._morph,
            Channel.EXPORT: self._export, Channel.LENS: self._lens, Channel.LIKELIHOOD: self._likelihood,
            Channel.DENSITY: self._density, Channel.PRIOR_SAMPLES: self._prior_samples,
            Channel.INSIGHT: self._insight, Channel.TRAVERSAL: self._traversal, Channel.LATENT: self._decode_latent,
            Channel.ATTRIBUTE: self._attribute,
        }
        self._information = None  # (model, each dimension's average KL), for the traversals
        self._wake.connect(self._process, Qt.ConnectionType.QueuedConnection)

    # -- called from any thread -----------------------------------------------------------
    def submit(self, envelope: Envelope) -> None:
        """Replace the channel's pending request; wake the worker unless already woken."""
        with self._lock:
            slot = self._slots.setdefault(envelope.channel, _Slot())
            slot.envelope = envelope
            wake = not slot.pending
            slot.pending = True
        if wake:
            self._wake.emit(envelope.channel)

    def _defer(self, envelope: Envelope) -> None:
        """Queue a request again, behind what is waiting now; a newer one on its channel wins."""
        with self._lock:
            slot = self._slots[envelope.channel]
            if slot.envelope is not None:
                return
            slot.envelope, wake, slot.pending = envelope, not slot.pending, True
        if wake:
            self._wake.emit(envelope.channel)

    def _is_pending(self, channel: Channel) -> bool:
        with self._lock:
            slot = self._slots.get(channel)
            return slot is not None and slot.pending

    # -- worker thread --------------------------------------------------------------------
    @Slot(object)
    def _process(self, channel: Channel) -> None:
        with self._lock:
            slot = self._slots[channel]
            envelope, slot.envelope, slot.pending = slot.envelope, None, False
        if envelope is None:
            return
        if channel.yields_to_encode and self._is_pending(Channel.ENCODE):
            self._defer(envelope)
            return
        # Interactive requests are single images: one thread does them as fast as two and
        # leaves the other core to the GUI thread (on two cores, a second torch thread
        # made encodes 5x slower at the 95th percentile while the user drew). Batch jobs
        # (the test set, the manifold, exports) use every core.
        import torch  # here, not at the top: the window must not wait for torch to import

        if self._all_cores is None:
            self._all_cores = torch.get_num_threads()
        torch.set_num_threads(self._all_cores if channel.is_batch else 1)
        try:
            self._handlers[channel](envelope)
            if channel.is_batch:
                _return_free_memory()
        except ExportCancelled:
            self.export_cancelled.emit()
        except VaedeskError as exc:
            self.failed.emit(channel, str(exc))
        except Exception as exc:  # a bug or a broken checkpoint: report, keep running
            log.exception("%s request failed", channel.value)
            self.failed.emit(channel, f"{type(exc).__name__}: {exc}")

    def _load(self, envelope: Envelope) -> None:
        from ..data import model_class_names, model_split, trained_on
        from ..encodings import cached_means
        from ..model import load_model

        request: LoadRequest = envelope.request
        model = load_model(request.name)
        self.reference = None
        data_note = trained_on(model.card)[1]  # a Fashion-MNIST model shows Fashion-MNIST
        test = model_split(model.card, "test", as_uint8=True)  # pixels needed only on a cache miss
        images, labels = test.images[:SCATTER_LIMIT], test.labels[:SCATTER_LIMIT]
        means = cached_means(model, images)
        if model.latent_dim == 1:
            raise VaedeskError(f"{model.name}: a 1-d latent space cannot be shown on a plane")
        view = self._fit_view(model, request.view, means, labels)
        # Warm up the forward passes so the first stroke is as fast as the rest.
        model.decode(model.encode(images[:1] / np.float32(255)).mean)
        self.model, self.view, self.test_means = model, view, means
        self.generation = envelope.generation
        self.model_loaded.emit(
            ModelInfo(self.generation, model.name, model.kind, model.latent_dim, model.card, view,
                      view.to_plane(means), labels, model_class_names(model.card), data_note)
        )
        self._prepare_reference(model, self.generation)

    def _fit_view(self, model, kind: str, test_means: np.ndarray, test_labels: np.ndarray):
        """The view of the model's latent space: the linear ones from the test-set means (in
        milliseconds); the neighbourhood map from the training means, cached per model (a
        minute the first time)."""
        from ..views import fit_view

        if kind == "neighbors" and model.latent_dim > 2:
            return fit_view(model, kind)
        information = None
        if kind == "dims" and model.latent_dim > 2:
            information = self._dimension_information(model)
        return fit_view(model, kind, test_means, test_labels, information=information)

    def _dimension_information(self, model) -> np.ndarray:
        """Each dimension's average KL over the model's test set (once per model)."""
        if self._information is None or self._information[0] is not model:
            from ..data import model_split
            from ..traversal import dimension_information

            test = model_split(model.card, "test")
            self._information = (model, dimension_information(model, test.images))
        return self._information[1]

    def _prepare_reference(self, model, generation: int) -> None:
        """Build what explanations compare a drawing with (cached per model: only a model's
        first load on a machine takes seconds) beside the worker, so drawing never waits."""
        def build() -> None:
            from ..explanation import model_reference  # torch: never at the window's start

            try:
                reference = model_reference(model)
            except VaedeskError as exc:
                self.failed.emit(Channel.INSIGHT, f"explanations are unavailable: {exc}")
                return
            if self.generation == generation:  # not a model the user has left meanwhile
                self.reference = reference
                self.reference_ready.emit(generation)

        # daemon given, so the new thread does not ask threading who made it (which would
        # register this QThread with threading for good).
        self._reference_thread = threading.Thread(target=build, name="vaedesk-reference", daemon=False)
        self._reference_thread.start()

    def wait_for_helpers(self) -> None:
        """Wait for a reference still being built: PyTorch aborts the interpreter when it
        exits with a thread inside a computation (the first load of a model, closed at once)."""
        thread = self._reference_thread
        if thread is not None:
            thread.join()

    def _require_model(self):
        if self.model is None:
            raise VaedeskError("no model is loaded")
        return self.model

    def _encode(self, envelope: Envelope) -> None:
        request: EncodeRequest = envelope.request
        model = self._require_model()
        x = _model_input(request.drawing)
        if request.seed is not None:
            self.sample_seed = request.seed
        posterior = model.encode(x[None])
        mean = posterior.mean[0]
        view = self.view
        samples_z = posterior.sample(SAMPLE_COUNT, np.random.default_rng(self.sample_seed))[0]
        cov_xy = None if posterior.logvar is None else view.project_gaussian(mean, posterior.std[0] ** 2)[1]
        if posterior.logvar is None:
            samples_z = samples_z[:0]  # an autoencoder's "samples" would all be its point
        self.encoded.emit(
            EncodeResult(envelope.request_id, self.generation, x, posterior, view.to_plane(mean[None])[0], cov_xy,
                         samples_z, view.to_plane(samples_z) if len(samples_z) else np.zeros((0, 2)))
        )
        # The posterior is shown first; its decodings take twice as long as the encoding.
        # When a newer drawing is already waiting they would be replaced before anyone saw
        # them, so skip them: the last drawing of a stroke always gets its decodings.
        # Decoded in two halves, so that a new drawing waits for at most half of them.
        latents = np.concatenate([mean[None], samples_z])
        half = (len(latents) + 1) // 2
        images = []
        for part in (latents[:half], latents[half:]):
            if self._is_pending(Channel.ENCODE):
                return
            if len(part):
                images.append(model.decode(part))
        self.decoded.emit(DecodeResult(Channel.SAMPLES, envelope.request_id, self.generation, np.zeros((0, 2)),
                                       np.concatenate(images)))

    def _explain(self, channel: Channel, envelope: Envelope, x: np.ndarray, samples: int, iwae_samples: int) -> None:
        reference = self.reference
        if reference is None:
            return  # still being built: reference_ready asks again
        from ..explanation import explain  # torch: never at the window's start

        report = explain(self._require_model(), x, samples=samples, neighbours=NEIGHBOURS, reference=reference,
                         iwae_samples=iwae_samples)
        images = self._training_images()[report.neighbours].astype(np.float32) / np.float32(255)
        xy = self.view.to_plane(reference.train_means[report.neighbours])
        self.reported.emit(InsightResult(channel, envelope.request_id, self.generation, report, images, xy))

    def _training_images(self) -> np.ndarray:
        """The shown model's training images (what its explanations' neighbours index)."""
        from ..data import model_split

        training = self.model.card.get("training") or {}
        key = training.get("data_dir"), training.get("categories")
        if self._training_split is None or self._training_split[0] != key:
            self._training_split = (key, model_split(self.model.card, "train", as_uint8=True).images)
        return self._training_split[1]

    def _insight(self, envelope: Envelope) -> None:
        request: ExplainRequest = envelope.request
        self._explain(Channel.INSIGHT, envelope, _model_input(request.drawing), INSIGHT_SAMPLES, iwae_samples=0)

    def _likelihood(self, envelope: Envelope) -> None:
        request: ExplainRequest = envelope.request
        self._explain(Channel.LIKELIHOOD, envelope, _model_input(request.drawing), LIKELIHOOD_SAMPLES,
                      iwae_samples=LIKELIHOOD_SAMPLES)

    def _lens(self, envelope: Envelope) -> None:
        request: LensRequest = envelope.request
        # From the posterior's mean, along the plane only: above two dimensions the other
        # coordinates stay the drawing's own, not the plane's origin.
        view = self.view
        z = (np.asarray(request.mean, np.float64) + view.to_latent(np.asarray(request.points, np.float64))
             - view.to_latent(np.asarray(request.mean_xy, np.float64)))
        images = self._require_model().decode(z)
        x0, x1, y0, y1 = request.extent
        self.decoded.emit(DecodeResult(Channel.LENS, envelope.request_id, self.generation, request.points, images,
                                       tile=tile(images, request.n), x_range=(x0, x1), y_range=(y0, y1)))

    def _traversal(self, envelope: Envelope) -> None:
        from ..traversal import traverse

        request: TraversalRequest = envelope.request
        model = self._require_model()
        if request.latent is not None:
            origin = np.asarray(request.latent, np.float64)
        else:
            origin = self.view.to_latent(np.array([request.xy], np.float64))[0]
        result = traverse(model, origin, steps=request.steps, information=self._dimension_information(model))
        self.reported.emit(TraversalResult(Channel.TRAVERSAL, envelope.request_id, self.generation, result,
                                           self.view.to_plane(origin[None])[0]))

    def _decode_latent(self, envelope: Envelope) -> None:
        request: LatentRequest = envelope.request
        latent = np.asarray(request.latent, np.float64)[None]
        images = self._require_model().decode(latent)
        self.decoded.emit(DecodeResult(Channel.LATENT, envelope.request_id, self.generation,
                                       self.view.to_plane(latent), images))

    def _attribute(self, envelope: Envelope) -> None:
        from ..attributes import attribute_vector, group_latents

        request: AttributeRequest = envelope.request
        model = self._require_model()

        def latents(members) -> np.ndarray:
            return group_latents(members, lambda images: model.encode(images).mean, model.latent_dim,
                                 self.test_means)

        group_a, group_b = latents(request.group_a), latents(request.group_b)
        vector = attribute_vector(model, group_a, group_b)
        self.reported.emit(AttributeResult(Channel.ATTRIBUTE, envelope.request_id, self.generation,
                                           group_a.mean(0), vector, (len(group_a), len(group_b))))

    def _density(self, envelope: Envelope) -> None:
        request: CountRequest = envelope.request
        if self.reference is None:
            return  # still being built: reference_ready asks again
        xy = self.view.to_plane(self.reference.train_means)
        low, high = xy.min(axis=0), xy.max(axis=0)
        pad = 0.1 * (high - low).max()
        extent = (float(low[0] - pad), float(high[0] + pad), float(low[1] - pad), float(high[1] + pad))
        self.reported.emit(DensityResult(Channel.DENSITY, envelope.request_id, self.generation,
                                         density(xy, extent, bins=request.n), extent))

    def _prior_samples(self, envelope: Envelope) -> None:
        request: CountRequest = envelope.request
        model = self._require_model()
        rng = np.random.default_rng()
        prior = model.decode(rng.standard_normal((request.n, model.latent_dim)).astype(np.float32))
        # The aggregate posterior: pick training digits at random, then a z from each q(z|x).
        train = self._training_images()
        picked = train[rng.choice(len(train), request.n, replace=False)].astype(np.float32) / np.float32(255)
        z = model.encode(picked).sample(1, rng)[:, 0]
        self.reported.emit(PriorSamplesResult(Channel.PRIOR_SAMPLES, envelope.request_id, self.generation,
                                              prior, model.decode(z)))

    def _decode_points(self, envelope: Envelope) -> None:
        request: DecodeRequest = envelope.request
        model = self._require_model()
        points = np.asarray(request.points, np.float64).reshape(-1, 2)
        images = model.decode(self.view.to_latent(points)) if len(points) else np.zeros((0, 28, 28), np.float32)
        self.decoded.emit(DecodeResult(envelope.channel, envelope.request_id, self.generation, points, images,
                                       ids=request.ids))

    def _grid(self, envelope: Envelope) -> None:
        request: GridRequest = envelope.request
        model = self._require_model()
        points = grid(request.x_range, request.y_range, request.n)
        images = model.decode(self.view.to_latent(points))
        self.decoded.emit(DecodeResult(Channel.GRID, envelope.request_id, self.generation, points, images,
                                       tile=tile(images, request.n), x_range=request.x_range,
                                       y_range=request.y_range))

    def _morph_endpoints(self, endpoints: Sequence[ResolvedEndpoint]) -> list[np.ndarray]:
        """The endpoints as morphing.resolve_endpoint takes them: latent vectors for plane
        points, 28x28 model inputs for drawings (encoded there to their posterior mean)."""
        return [self.view.to_latent(np.array([e.xy], np.float64))[0] if e.xy is not None
                else _model_input(e.drawing) for e in endpoints]

    def _morph(self, envelope: Envelope) -> None:
        from ..morphing import morph_path

        request: MorphRequest = envelope.request
        model = self._require_model()
        latents = morph_path(model, self._morph_endpoints(request.endpoints), request.frames, request.method,
                             request.easing)
        self.decoded.emit(DecodeResult(Channel.MORPH, envelope.request_id, self.generation,
                                       self.view.to_plane(latents), model.decode(latents)))

    def _export(self, envelope: Envelope) -> None:
        from ..morphing import morph_frames

        request: ExportRequest = envelope.request
        spec = request.morph
        frames = morph_frames(self._require_model(), self._morph_endpoints(spec.endpoints), spec.frames,
                              spec.method, spec.easing)
        options = dict(size=request.size, pingpong=request.pingpong, progress=self.export_progress.emit,
                       should_cancel=request.cancel.is_set)
        if request.format == "gif":
            path = save_gif(frames, request.path, fps=request.fps, **options)
        else:
            path = save_png_frames(frames, request.path, **options)
        self.export_finished.emit(str(path))


def _model_input(drawing: Drawing) -> np.ndarray:
    """A drawing as the model's 28x28 input (an imported picture already is one)."""

    if drawing.image is not None:
        return np.asarray(drawing.image, np.float32)
    return preprocess_strokes(drawing.strokes, drawing.pen_width)


class WorkerClient(QObject):
    """The GUI thread's handle on the worker: typed requests, fresh results, the thread's lifetime.

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
        self.worker = ModelWorker()
        self._ids = itertools.count(1)
        self._generations = itertools.count(1)
        self._generation = 0  # of the model asked for last
        self._shown_generation = 0  # of the model whose results are shown
        self._shown: dict[Channel, int] = {}  # newest request id shown, per channel
        self._floor: dict[Channel, int] = {}  # results up to this id are no longer wanted
        self.export_cancel = threading.Event()
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
        self.thread = start_thread(self.worker, "vaedesk-model-worker")

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
        self.model_loaded.emit(info)

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
        if own:
            shown = self._deliver(samples, self.decoded) or shown
        if shown:
            self._frame.start()

    def _on_reported(self, result) -> None:
        self._deliver(result, self.reported)

    def _deliver(self, result, signal: Signal) -> bool:
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

    # -- requests ---------------------------------------------------------------------------
    def _send(self, channel: Channel, request: object) -> int:
        request_id = next(self._ids)
        self.worker.submit(Envelope(channel, request_id, self._generation, request))
        return request_id

    def load_model(self, name: str, view: str = "pca") -> int:
        """Load a model, its latent space shown in ``view`` (above two dimensions)."""
        self._generation = next(self._generations)
        return self._send(Channel.LOAD, LoadRequest(name, view))

    def encode(self, drawing: Drawing, new_samples: bool = False) -> int:
        """Encode a drawing (strokes, or an imported picture's model input); ``new_samples``
        draws new posterior samples (Resample)."""
        seed = int(np.random.default_rng().integers(1 << 31)) if new_samples else None
        return self._send(Channel.ENCODE, EncodeRequest(drawing, seed))

    def hover(self, x: float, y: float) -> int:
        return self._send(Channel.HOVER, DecodeRequest(np.array([[x, y]], np.float64)))

    def decode_pins(self, ids: Sequence[int], points: np.ndarray) -> int:
        return self._send(Channel.PINS, DecodeRequest(np.asarray(points, np.float64).reshape(-1, 2), tuple(ids)))

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

    def morph_preview(self, morph: MorphRequest) -> int:
        return self._send(Channel.MORPH, morph)

    def export(self, morph: MorphRequest, path: str, fmt: str, *, fps: float, size: int, pingpong: bool) -> int:
        self.export_cancel = threading.Event()
        return self._send(Channel.EXPORT, ExportRequest(morph, path, fmt, fps, size, pingpong, self.export_cancel))

    def cancel_export(self) -> None:
        self.export_cancel.set()

    def stop(self) -> None:
        self.export_cancel.set()
        stop_thread(self.thread)
        self.worker.wait_for_helpers()
