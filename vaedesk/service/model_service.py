"""The model's own process: a :class:`ModelService` owns the model and does all model work.

The window lives in one process and the model in another, so that the model's Python work
(turning strokes into the model input, NumPy, loading) never holds the window's interpreter
lock: on a thread of the window's process it delayed the window's frames while the user drew
(see docs/architecture.md, "Processes").

Requests (typed, in :mod:`vaedesk.service.protocol`) arrive on channels. Interactive channels
(encode, hover, pins, grid, morph preview) are coalesced: each holds only its newest request,
so while the service is busy a burst of 200 mouse moves collapses into one encode of the
newest drawing, and the final state is always processed. The service calls the core
(``Model``, ``Posterior.sample``, ``morphing``) rather than repeating it.

Everything the service says goes through one ``send(message)`` callable: a result or an
event of the protocol. :func:`serve` answers a ``multiprocessing`` connection; :func:`main`
is the model process (``python -m vaedesk.service.model_service FD``, started by a
:class:`vaedesk.service.process.ChildProcess`); tests run the service directly. Exports are jobs, not coalesced,
and can be cancelled. A view that has to be fitted (minutes of UMAP) is fitted in a child
process of its own (:mod:`vaedesk.service.view_fit`) while the service goes on answering with
the view it shows; ending that process cancels the fit. Any exception in a request becomes
a ``failed`` event with a one-line message; the service keeps running. No Qt here.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal, TypeVar

import numpy as np

from vaedesk import errors
from vaedesk.data.strokes import preprocess_strokes
from vaedesk.errors import VaedeskError
from vaedesk.export import save_gif, save_png_frames
from vaedesk.latent.geometry import density, grid, tile
from vaedesk.service.protocol import (
    Adopt,
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
    FitNeighbours,
    GridRequest,
    InsightResult,
    LatentRequest,
    LensRequest,
    LoadRequest,
    ModelInfo,
    MorphRequest,
    NeighboursFitted,
    PriorDrawsRequest,
    PriorDrawsResult,
    PriorSamplesResult,
    ReferenceReady,
    Request,
    Stop,
    TraversalRequest,
    TraversalResult,
    ViewFitCancelled,
    ViewFitProgress,
)

if TYPE_CHECKING:
    from vaedesk.insight.explanation import ModelReference
    from vaedesk.latent.views import LatentView
    from vaedesk.model.model import Model
    from vaedesk.service.process import ChildProcess
    from vaedesk.state.session import Drawing
    from vaedesk.state.workspace import ResolvedEndpoint

log = logging.getLogger(__name__)

SAMPLE_COUNT = 8
SCATTER_LIMIT = 10_000
# Test digits that vote on prior draws' decodings (Compare models): enough for a 5-NN vote,
# encoded in a second; the first of them are voted on too, for scale.
COMPARED_DIGITS = 5_000
COMPARED_REFERENCE = 500
# Posterior samples behind a drawing's explanation: 16 while drawing (a few ms, so the posterior
# keeps following the pen), 256 on pen release for the importance-weighted -log p(x) (~40 ms).
INSIGHT_SAMPLES = 16
LIKELIHOOD_SAMPLES = 256
NEIGHBOURS = 8
# The model process' niceness: with every core busy (a run training), the window's frames
# go first.
MODEL_PROCESS_NICE = 5

# The process a view that has to be fitted is fitted in (see _start_fit).
VIEW_FIT_MODULE = "vaedesk.service.view_fit"

# Imported by the model process as it starts, before the first request needs them.
PRELOAD = ("torch", "vaedesk.model.model", "vaedesk.insight.explanation", "vaedesk.latent.views",
           "vaedesk.data.datasets", "vaedesk.model.encodings", "vaedesk.latent.morphing", "vaedesk.latent.traversal")


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


# libc's malloc_trim once looked up; False where there is none.
_malloc_trim: Callable[[int], int] | Literal[False] | None = None

_R = TypeVar("_R", bound=Request)


class _Slot:
    """The newest pending request of one coalesced channel."""

    def __init__(self) -> None:
        self.envelope: Envelope | None = None
        self.pending = False


class ModelService:
    """Owns the model; answers requests in order of arrival, the newest per channel.

    ``submit`` and ``cancel_export`` may be called from any thread; ``run`` (or
    ``process_next``) from one thread, which does the work."""

    def __init__(self, send: Callable[[object], None]) -> None:
        self._send = send
        self._lock = threading.Lock()
        self._slots: dict[Channel, _Slot] = {}
        # One entry per channel that went from idle to pending (None: stop): the order of work.
        self._wakes: queue.SimpleQueue[Channel | None] = queue.SimpleQueue()
        self._cancelled_export = 0  # exports with this request id or an older one stop
        self.model: Model | None = None
        self.view: LatentView | None = None
        self.test_means: np.ndarray | None = None  # (T, D) posterior means of the shown test set
        self.reference: ModelReference | None = None  # what explanations compare with, once built
        self._reference_thread: threading.Thread | None = None
        # ((data folder, categories), its training images) for the nearest digits
        self._training_split: tuple[tuple[object, object], np.ndarray] | None = None
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
            Channel.ATTRIBUTE: self._attribute, Channel.PRIOR_DRAWS: self._prior_draws,
        }
        # (model, the compared test digits' means, their labels, their own confident share)
        self._test_codes: tuple[Model, np.ndarray, np.ndarray, float] | None = None
        # (model, each dimension's average KL), for the traversals
        self._information: tuple[Model, np.ndarray] | None = None
        # The neighbourhood fit under way in its own process: (the load's generation, the process)
        self._fit: tuple[int, ChildProcess] | None = None
        # The neighbourhood views fitted so far, by (model name, weights digest)
        self._fitted: dict[tuple[str, str | None], LatentView] = {}

    # -- called from any thread -----------------------------------------------------------
    def submit(self, envelope: Envelope) -> None:
        """Replace the channel's pending request; queue the channel unless already queued."""
        with self._lock:
            slot = self._slots.setdefault(envelope.channel, _Slot())
            slot.envelope = envelope
            wake = not slot.pending
            slot.pending = True
        if wake:
            self._wakes.put(envelope.channel)

    def cancel_export(self, request_id: int) -> None:
        """Stop the export with this request id (and any older one) at its next frame."""
        with self._lock:
            self._cancelled_export = max(self._cancelled_export, request_id)

    def cancel_view_fit(self, generation: int) -> None:
        """Stop the fit the load of ``generation`` waits for (it reports ``ViewFitCancelled``);
        nothing when that fit has ended already (its load then comes as usual)."""
        if self._end_fit(generation):
            self._send(ViewFitCancelled(generation))

    def stop(self) -> None:
        """End :meth:`run` once the request under way is done."""
        self._wakes.put(None)

    def _defer(self, envelope: Envelope) -> None:
        """Queue a request again, behind what is waiting now; a newer one on its channel wins."""
        with self._lock:
            slot = self._slots[envelope.channel]
            if slot.envelope is not None:
                return
            slot.envelope, wake, slot.pending = envelope, not slot.pending, True
        if wake:
            self._wakes.put(envelope.channel)

    def _is_pending(self, channel: Channel) -> bool:
        with self._lock:
            slot = self._slots.get(channel)
            return slot is not None and slot.pending

    # -- the working thread ---------------------------------------------------------------
    def run(self) -> None:
        """Answer requests until :meth:`stop`; then wait for helper threads."""
        while self.process_next():
            pass
        self.wait_for_helpers()

    def process_next(self, timeout: float | None = None) -> bool:
        """Answer the next queued request; False once stopped (or nothing came within ``timeout``)."""
        try:
            channel = self._wakes.get(timeout=timeout)
        except queue.Empty:
            return False
        if channel is None:
            return False
        self._process(channel)
        return True

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
        # leaves the other core to the window (on two cores, a second torch thread made
        # encodes 5x slower at the 95th percentile while the user drew). Batch jobs (the
        # test set, the manifold, exports) use every core.
        import torch  # here, not at the top: the process starts before torch is needed

        if self._all_cores is None:
            self._all_cores = torch.get_num_threads()
        torch.set_num_threads(self._all_cores if channel.is_batch else 1)
        try:
            self._handlers[channel](envelope)
            if channel.is_batch:
                _return_free_memory()
        except errors.ExportCancelled:  # the exception the export raised; the window hears the message
            self._send(ExportCancelled())
        except VaedeskError as exc:
            self._send(Failed(channel, str(exc)))
        except Exception as exc:  # a bug or a broken checkpoint: report, keep running
            log.exception("%s request failed", channel.value)
            self._send(Failed(channel, f"{type(exc).__name__}: {exc}"))


    def _load(self, envelope: Envelope) -> None:
        from vaedesk.data.datasets import model_class_names, model_split, trained_on
        from vaedesk.model.encodings import cached_means
        from vaedesk.model.model import load_model

        request = _request(envelope, LoadRequest)
        self._end_fit(keep=envelope.generation)  # a newer load replaces a fit under way
        model = load_model(request.name)
        data_note = trained_on(model.card)[1]  # a Fashion-MNIST model shows Fashion-MNIST
        test = model_split(model.card, "test", as_uint8=True)  # pixels needed only on a cache miss
        images, labels = test.images[:SCATTER_LIMIT], test.labels[:SCATTER_LIMIT]
        means = cached_means(model, images)
        if model.latent_dim == 1:
            raise VaedeskError(f"{model.name}: a 1-d latent space cannot be shown on a plane")
        view = self._fit_view(model, request, means, labels, envelope)
        if view is None:
            return  # fitted beside: the shown model and view stay until the fit is done
        # Warm up the forward passes so the first stroke is as fast as the rest.
        model.decode(model.encode(images[:1] / np.float32(255)).mean)
        self.model, self.view, self.test_means = model, view, means
        self.reference = None
        self.generation = envelope.generation
        self._send(
            ModelInfo(Channel.LOAD, envelope.request_id, self.generation, model.name, model.kind, model.latent_dim,
                      model.card, view, _scatter_places(view, images, means), labels, model_class_names(model.card),
                      data_note)
        )
        self._prepare_reference(model, self.generation)

    def _fit_view(self, model: Model, request: LoadRequest, test_means: np.ndarray, test_labels: np.ndarray,
                  envelope: Envelope) -> LatentView | None:
        """The view of the model's latent space: the linear ones from the test-set means (in
        milliseconds); the neighbourhood map from the training means, shipped with the model,
        cached, or else fitted in a process of its own while the service goes on answering
        (None: the load is done again when the fit is)."""
        from vaedesk.latent.views import fit_view, stored_neighbour_view

        if request.view == "neighbors" and model.latent_dim > 2:
            key = (request.name, model.digest)
            view = self._fitted.get(key) or stored_neighbour_view(model)
            if view is None:
                self._start_fit(request.name, key, envelope)
            return view
        information = None
        if request.view == "dims" and model.latent_dim > 2:
            information = self._dimension_information(model)
        return fit_view(model, request.view, test_means, test_labels, information=information)

    def _start_fit(self, name: str, key: tuple[str, str | None], envelope: Envelope) -> None:
        """Fit the neighbourhood view of model ``name`` in a child process, passing its progress
        on; when it is done, the load in ``envelope`` is done again (unless a newer one came)."""
        from vaedesk.service.process import ChildProcess

        generation = envelope.generation

        def on_message(message: object) -> None:
            with self._lock:
                current = self._fit is not None and self._fit[0] == generation
            if isinstance(message, ViewFitProgress):
                if current:
                    self._send(ViewFitProgress(generation, message.view, message.stage, message.fraction))
            elif isinstance(message, NeighboursFitted):
                if self._end_fit(generation, kill=False):
                    self._fitted[key] = message.view
                    self._defer(envelope)
            elif isinstance(message, Failed):
                if self._end_fit(generation, kill=False):
                    self._send(Failed(Channel.LOAD, message.message))

        def on_end(how: str) -> None:
            if self._end_fit(generation, kill=False):
                self._send(Failed(Channel.LOAD, f"the neighbourhood view's fit {how}"))

        child = ChildProcess(VIEW_FIT_MODULE, on_message, on_end, name="vaedesk-view-fit", log_stderr=True)
        with self._lock:
            self._fit = (generation, child)
        self._send(ViewFitProgress(generation, "neighbors", "starting"))
        child.start()
        child.send(FitNeighbours(name))

    def _end_fit(self, generation: int | None = None, *, keep: int | None = None, kill: bool = True) -> bool:
        """Forget the fit under way (of ``generation``, if given; unless of ``keep``), ending its
        process unless ``kill`` is false (it ends by itself); whether there was one."""
        with self._lock:
            fit = self._fit
            if fit is None or (generation is not None and fit[0] != generation) or fit[0] == keep:
                return False
            self._fit = None
        if kill:
            fit[1].stop(timeout=1.0)  # busy in compiled code it hears nothing: killed after a second
        return True

    def _dimension_information(self, model: Model) -> np.ndarray:
        """Each dimension's average KL over the model's test set (once per model)."""
        if self._information is None or self._information[0] is not model:
            from vaedesk.data.datasets import model_split
            from vaedesk.latent.traversal import dimension_information

            test = model_split(model.card, "test")
            self._information = (model, dimension_information(model, test.images))
        return self._information[1]

    def _prepare_reference(self, model: Model, generation: int) -> None:
        """Build what explanations compare a drawing with (cached per model: only a model's
        first load on a machine takes seconds) beside the requests, so drawing never waits."""
        def build() -> None:
            from vaedesk.insight.explanation import model_reference  # torch: never at the window's start

            try:
                reference = model_reference(model)
            except VaedeskError as exc:
                self._send(Failed(Channel.INSIGHT, f"explanations are unavailable: {exc}"))
                return
            if self.generation == generation:  # not a model the user has left meanwhile
                self.reference = reference
                self._send(ReferenceReady(generation))

        # daemon given, so the new thread does not ask threading who made it (which would
        # register the calling thread with threading for good).
        self._reference_thread = threading.Thread(target=build, name="vaedesk-reference", daemon=False)
        self._reference_thread.start()

    def wait_for_helpers(self) -> None:
        """End a view fit under way; wait for a reference still being built: PyTorch aborts the
        interpreter when it exits with a thread inside a computation (the first load of a
        model, closed at once)."""
        self._end_fit()
        thread = self._reference_thread
        if thread is not None:
            thread.join()

    def _require_model(self) -> Model:
        if self.model is None:
            raise VaedeskError("no model is loaded")
        return self.model

    def _require_view(self) -> LatentView:
        """The shown model's view (loaded with the model)."""
        if self.view is None:
            raise VaedeskError("no model is loaded")
        return self.view

    def _encode(self, envelope: Envelope) -> None:
        request = _request(envelope, EncodeRequest)
        model = self._require_model()
        x = _model_input(request.drawing)
        if request.seed is not None:
            self.sample_seed = request.seed
        posterior = model.encode(x[None])
        mean = posterior.mean[0]
        view = self._require_view()
        samples_z = posterior.sample(SAMPLE_COUNT, np.random.default_rng(self.sample_seed))[0]
        std = posterior.std
        cov_xy = None if std is None else view.project_gaussian(mean, std[0] ** 2)[1]
        if posterior.logvar is None:
            samples_z = samples_z[:0]  # an autoencoder's "samples" would all be its point
        samples_xy = view.to_plane(samples_z) if len(samples_z) else np.zeros((0, 2))
        self._send(
            EncodeResult(Channel.ENCODE, envelope.request_id, self.generation, x, posterior,
                         view.to_plane(mean[None])[0], cov_xy, samples_z, samples_xy)
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
        self._send(DecodeResult(Channel.SAMPLES, envelope.request_id, self.generation, np.zeros((0, 2)),
                                       np.concatenate(images)))

    def _explain(self, channel: Channel, envelope: Envelope, x: np.ndarray, samples: int, iwae_samples: int) -> None:
        reference = self.reference
        if reference is None:
            return  # still being built: reference_ready asks again
        from vaedesk.insight.explanation import explain  # torch: never at the window's start

        report = explain(self._require_model(), x, samples=samples, neighbours=NEIGHBOURS, reference=reference,
                         iwae_samples=iwae_samples)
        images = self._training_images()[report.neighbours].astype(np.float32) / np.float32(255)
        xy = self._require_view().to_plane(reference.train_means[report.neighbours])
        self._send(InsightResult(channel, envelope.request_id, self.generation, report, images, xy))

    def _training_images(self) -> np.ndarray:
        """The shown model's training images (what its explanations' neighbours index)."""
        from vaedesk.data.datasets import model_split

        card = self._require_model().card
        training = card.get("training") or {}
        key = training.get("data_dir"), training.get("categories")
        if self._training_split is None or self._training_split[0] != key:
            self._training_split = (key, model_split(card, "train", as_uint8=True).images)
        return self._training_split[1]

    def _insight(self, envelope: Envelope) -> None:
        request = _request(envelope, ExplainRequest)
        self._explain(Channel.INSIGHT, envelope, _model_input(request.drawing), INSIGHT_SAMPLES, iwae_samples=0)

    def _likelihood(self, envelope: Envelope) -> None:
        request = _request(envelope, ExplainRequest)
        self._explain(Channel.LIKELIHOOD, envelope, _model_input(request.drawing), LIKELIHOOD_SAMPLES,
                      iwae_samples=LIKELIHOOD_SAMPLES)

    def _lens(self, envelope: Envelope) -> None:
        request = _request(envelope, LensRequest)
        # From the posterior's mean, along the plane only: above two dimensions the other
        # coordinates stay the drawing's own, not the plane's origin.
        view = self._require_view()
        z = (np.asarray(request.mean, np.float64) + view.to_latent(np.asarray(request.points, np.float64))
             - view.to_latent(np.asarray(request.mean_xy, np.float64)))
        images = self._require_model().decode(z)
        x0, x1, y0, y1 = request.extent
        self._send(DecodeResult(Channel.LENS, envelope.request_id, self.generation, request.points, images,
                                       tile=tile(images, request.n), x_range=(x0, x1), y_range=(y0, y1)))

    def _traversal(self, envelope: Envelope) -> None:
        from vaedesk.latent.traversal import traverse

        request = _request(envelope, TraversalRequest)
        model = self._require_model()
        if request.latent is not None:
            origin = np.asarray(request.latent, np.float64)
        else:
            origin = self._require_view().to_latent(np.array([request.xy], np.float64))[0]
        result = traverse(model, origin, steps=request.steps, information=self._dimension_information(model))
        self._send(TraversalResult(Channel.TRAVERSAL, envelope.request_id, self.generation, result,
                                           self._require_view().to_plane(origin[None])[0]))

    def _decode_latent(self, envelope: Envelope) -> None:
        request = _request(envelope, LatentRequest)
        latent = np.asarray(request.latent, np.float64)[None]
        images = self._require_model().decode(latent)
        self._send(DecodeResult(Channel.LATENT, envelope.request_id, self.generation,
                                       self._require_view().to_plane(latent), images))

    def _attribute(self, envelope: Envelope) -> None:
        from vaedesk.latent.attributes import attribute_vector, group_latents

        request = _request(envelope, AttributeRequest)
        model = self._require_model()

        def latents(members) -> np.ndarray:
            return group_latents(members, lambda images: model.encode(images).mean, model.latent_dim,
                                 self.test_means)

        group_a, group_b = latents(request.group_a), latents(request.group_b)
        vector = attribute_vector(model, group_a, group_b)
        self._send(AttributeResult(Channel.ATTRIBUTE, envelope.request_id, self.generation,
                                           group_a.mean(0), vector, (len(group_a), len(group_b))))

    def _density(self, envelope: Envelope) -> None:
        request = _request(envelope, CountRequest)
        reference = self.reference
        if reference is None:
            return  # still being built: reference_ready asks again
        xy = self._require_view().to_plane(reference.train_means)
        low, high = xy.min(axis=0), xy.max(axis=0)
        pad = 0.1 * (high - low).max()
        extent = (float(low[0] - pad), float(high[0] + pad), float(low[1] - pad), float(high[1] + pad))
        self._send(DensityResult(Channel.DENSITY, envelope.request_id, self.generation,
                                         density(xy, extent, bins=request.n), extent))

    def _prior_samples(self, envelope: Envelope) -> None:
        request = _request(envelope, CountRequest)
        model = self._require_model()
        rng = np.random.default_rng()
        prior = model.decode(rng.standard_normal((request.n, model.latent_dim)).astype(np.float32))
        # The aggregate posterior: pick training digits at random, then a z from each q(z|x).
        train = self._training_images()
        picked = train[rng.choice(len(train), request.n, replace=False)].astype(np.float32) / np.float32(255)
        z = model.encode(picked).sample(1, rng)[:, 0]
        self._send(PriorSamplesResult(Channel.PRIOR_SAMPLES, envelope.request_id, self.generation,
                                              prior, model.decode(z)))

    def _prior_draws(self, envelope: Envelope) -> None:
        from vaedesk.data.datasets import model_split
        from vaedesk.insight.comparison import prior_draws, vote

        request = _request(envelope, PriorDrawsRequest)
        model = self._require_model()
        if self._test_codes is None or self._test_codes[0] is not model:
            test = model_split(model.card, "test", limit=COMPARED_DIGITS)
            means = model.encode(test.images).mean
            reference = vote(means[:COMPARED_REFERENCE], means, test.labels, leave_one_out=True).share
            self._test_codes = (model, means, test.labels, reference)
        _, means, labels, reference = self._test_codes
        draws = prior_draws(model.latent_dim, max(request.measured, request.shown), request.seed)
        images = model.decode(draws)
        votes = vote(model.encode(images).mean, means, labels)
        self._send(PriorDrawsResult(Channel.PRIOR_DRAWS, envelope.request_id, self.generation,
                                    images[: request.shown], self._require_view().to_plane(draws[: request.shown]),
                                    votes, reference))

    def _decode_points(self, envelope: Envelope) -> None:
        request = _request(envelope, DecodeRequest)
        model = self._require_model()
        if request.latents is not None:  # latent points (pins): decoded as they are, placed by the view
            latents = np.asarray(request.latents, np.float64).reshape(-1, model.latent_dim)
            points = self._require_view().to_plane(latents) if len(latents) else np.zeros((0, 2))
        else:
            points = np.asarray(request.points, np.float64).reshape(-1, 2)
            latents = self._require_view().to_latent(points) if len(points) else np.zeros((0, model.latent_dim))
        images = model.decode(latents) if len(latents) else np.zeros((0, 28, 28), np.float32)
        self._send(DecodeResult(envelope.channel, envelope.request_id, self.generation, points, images,
                                       ids=request.ids))

    def _grid(self, envelope: Envelope) -> None:
        request = _request(envelope, GridRequest)
        model = self._require_model()
        points = grid(request.x_range, request.y_range, request.n)
        images = model.decode(self._require_view().to_latent(points))
        self._send(DecodeResult(Channel.GRID, envelope.request_id, self.generation, points, images,
                                       tile=tile(images, request.n), x_range=request.x_range,
                                       y_range=request.y_range))

    def _morph_endpoints(self, endpoints: Sequence[ResolvedEndpoint]) -> list[np.ndarray]:
        """The endpoints as morphing.resolve_endpoint takes them: latent vectors for pins,
        28x28 model inputs for drawings (encoded there to their posterior mean)."""
        return [np.asarray(e.latent, np.float64) if e.latent is not None else _model_input(_endpoint_drawing(e))
                for e in endpoints]

    def _morph(self, envelope: Envelope) -> None:
        from vaedesk.latent.morphing import morph_path

        request = _request(envelope, MorphRequest)
        model = self._require_model()
        latents = morph_path(model, self._morph_endpoints(request.endpoints), request.frames, request.method,
                             request.easing)
        self._send(DecodeResult(Channel.MORPH, envelope.request_id, self.generation,
                                       self._require_view().to_plane(latents), model.decode(latents)))

    def _export(self, envelope: Envelope) -> None:
        from vaedesk.latent.morphing import morph_frames

        request = _request(envelope, ExportRequest)
        spec = request.morph
        frames = morph_frames(self._require_model(), self._morph_endpoints(spec.endpoints), spec.frames,
                              spec.method, spec.easing)
        def progress(done: int, total: int) -> None:
            self._send(ExportProgress(done, total))

        def should_cancel() -> bool:
            return self._cancelled_export >= envelope.request_id

        if request.format == "gif":
            path = save_gif(frames, request.path, fps=request.fps, size=request.size, pingpong=request.pingpong,
                            progress=progress, should_cancel=should_cancel)
        else:
            path = save_png_frames(frames, request.path, size=request.size, pingpong=request.pingpong,
                                   progress=progress, should_cancel=should_cancel)
        self._send(ExportFinished(str(path)))


def _scatter_places(view: LatentView, images: np.ndarray, means: np.ndarray) -> np.ndarray:
    """The test-set scatter's plane points: placed when a stored neighbourhood view was made
    (seconds saved), else placed now."""
    from vaedesk.latent.views import NeighbourView
    from vaedesk.model.encodings import data_digest

    if isinstance(view, NeighbourView) and view.known_places:
        known = view.known_places.get(data_digest(images))
        if known is not None and known.shape == (len(means), 2):
            return known
    return view.to_plane(means)


def _request(envelope: Envelope, kind: type[_R]) -> _R:
    """The envelope's request, which its channel's handler knows the type of."""
    request = envelope.request
    if not isinstance(request, kind):
        raise TypeError(f"{envelope.channel.value} got a {type(request).__name__}, not a {kind.__name__}")
    return request


def _endpoint_drawing(endpoint: ResolvedEndpoint) -> Drawing:
    """The drawing of an endpoint that is not a plane point."""
    if endpoint.drawing is None:
        raise VaedeskError("a morph endpoint has neither a point nor a drawing")
    return endpoint.drawing


def _model_input(drawing: Drawing) -> np.ndarray:
    """A drawing as the model's 28x28 input (an imported picture already is one)."""

    if drawing.image is not None:
        return np.asarray(drawing.image, np.float32)
    return preprocess_strokes(drawing.strokes, drawing.pen_width)


def serve(connection, preload: Sequence[str] = ()) -> None:
    """Answer the requests that arrive on ``connection`` (a ``multiprocessing`` connection)
    until told to :class:`~vaedesk.service.protocol.Stop` or until the app's end closes.

    One thread reads the connection, so a newer request replaces a pending one while the
    main thread works; sends from the main thread and the reference builder share a lock.
    """
    import importlib

    for name in preload:  # what the first request needs, imported before it comes
        importlib.import_module(name)
    lock = threading.Lock()
    gone = threading.Event()

    def send(message: object) -> None:
        if gone.is_set():
            return
        try:
            with lock:
                connection.send(message)
        except (OSError, EOFError, ValueError):  # the app has gone: nobody to tell
            gone.set()
            service.stop()

    service = ModelService(send)

    def receive() -> None:
        try:
            while True:
                message = connection.recv()
                if isinstance(message, Envelope):
                    service.submit(message)
                elif isinstance(message, CancelExport):
                    service.cancel_export(message.request_id)
                elif isinstance(message, CancelViewFit):
                    service.cancel_view_fit(message.generation)
                elif isinstance(message, Adopt):  # a spare, taken: before any request is read
                    os.environ.clear()
                    os.environ.update(message.environment)
                    os.chdir(message.folder)
                elif isinstance(message, Stop):
                    break
                else:
                    log.warning("the model process ignores a %s", type(message).__name__)
        except (OSError, EOFError):  # the app has gone (or crashed): end as well
            gone.set()
        service.stop()

    threading.Thread(target=receive, name="vaedesk-model-requests", daemon=True).start()
    service.run()


def main() -> None:
    """The model process: ``python -m vaedesk.service.model_service FD``, FD its end of the
    connection to the app (see :class:`vaedesk.service.process.ChildProcess`). Free of Qt."""
    import signal

    from vaedesk.service.process import child_connection

    # Ctrl+C in a terminal reaches the whole process group: the app decides when this ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # When the cores are busy the window's frames go first (the results wait for the next
    # frame anyway); a training run, at 10, goes after both.
    if hasattr(os, "nice"):
        try:
            os.nice(MODEL_PROCESS_NICE)
        except OSError:
            pass
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    serve(child_connection(), PRELOAD)


if __name__ == "__main__":
    main()
