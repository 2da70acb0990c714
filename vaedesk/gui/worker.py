"""The model worker: one object on its own QThread owns the model and does all model work.

Requests arrive on *channels*. Interactive channels (encode, hover, pins, grid, morph
preview) are coalesced: each holds only its newest request, so while the worker is busy a
burst of 200 mouse moves collapses into one encode of the newest drawing, and the final
state is always processed. Each request carries an id; the window drops a result older
than one it has already shown, or one made by a previous model (``generation``).

Exports are jobs, not coalesced, and can be cancelled. Any exception in the worker becomes a
``failed`` signal with a one-line message; the thread keeps running.
"""

from __future__ import annotations

import itertools
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot

from ..errors import ExportCancelled, VaedeskError
from .threads import start_thread, stop_thread

SAMPLE_COUNT = 8
SCATTER_LIMIT = 10_000
_BATCH_CHANNELS = frozenset({"load", "grid", "export"})


@dataclass
class ModelInfo:
    """What the window needs to show a freshly loaded model."""

    generation: int
    name: str
    kind: str
    latent_dim: int
    card: dict[str, Any]
    plane: Any  # latent.Plane
    scatter_xy: np.ndarray
    scatter_labels: np.ndarray
    class_names: tuple[str, ...] | None = None  # None: digits
    data_note: str = ""  # why the shown test set is not the model's own, if it is not


@dataclass
class EncodeResult:
    """A drawing's posterior. Its decodings follow as a ``DecodeResult`` on the "samples"
    channel with the same request id: images[0] decodes the mean, images[1:] the samples."""

    request_id: int
    generation: int
    input: np.ndarray  # the exact (28, 28) model input
    posterior: Any  # model.Posterior, batch of one
    mean_xy: np.ndarray  # (2,) on the plane
    cov_xy: np.ndarray | None  # (2, 2) on the plane; None for an autoencoder
    samples_z: np.ndarray  # (S, D); empty for an autoencoder
    samples_xy: np.ndarray  # (S, 2)


@dataclass
class DecodeResult:
    channel: str
    request_id: int
    generation: int
    points: np.ndarray  # (N, 2) plane coordinates that were decoded
    images: np.ndarray  # (N, 28, 28)
    extra: dict[str, Any] = field(default_factory=dict)


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
        self.request: Any = None
        self.pending = False


class ModelWorker(QObject):
    """Lives on the worker thread. Use it through :class:`WorkerClient`."""

    model_loaded = Signal(object)  # ModelInfo
    encoded = Signal(object)  # EncodeResult
    decoded = Signal(object)  # DecodeResult
    failed = Signal(str, str)  # channel, one-line message
    export_progress = Signal(int, int)
    export_finished = Signal(str)  # path
    export_cancelled = Signal()
    _wake = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._slots: dict[str, _Slot] = {}
        self.model = None
        self.plane = None
        self.generation = 0
        # Samples z = mean + std * noise reuse one noise draw, so they move smoothly with the
        # drawing; "Resample" picks a new seed.
        self.sample_seed = 0
        self._all_cores: int | None = None
        self._wake.connect(self._process, Qt.ConnectionType.QueuedConnection)

    # -- called from any thread -----------------------------------------------------------
    def submit(self, channel: str, request: Any) -> None:
        """Replace the channel's pending request; wake the worker unless already woken."""
        with self._lock:
            slot = self._slots.setdefault(channel, _Slot())
            slot.request = request
            wake = not slot.pending
            slot.pending = True
        if wake:
            self._wake.emit(channel)

    def _is_pending(self, channel: str) -> bool:
        with self._lock:
            slot = self._slots.get(channel)
            return slot is not None and slot.pending

    # -- worker thread --------------------------------------------------------------------
    @Slot(str)
    def _process(self, channel: str) -> None:
        with self._lock:
            slot = self._slots[channel]
            request, slot.request, slot.pending = slot.request, None, False
        if request is None:
            return
        # Interactive requests are single images: one thread does them as fast as two and
        # leaves the other core to the GUI thread (on two cores, a second torch thread
        # made encodes 5x slower at the 95th percentile while the user drew). Batch jobs
        # (the test set, the manifold, exports) use every core.
        import torch  # here, not at the top: the window must not wait for torch to import

        if self._all_cores is None:
            self._all_cores = torch.get_num_threads()
        torch.set_num_threads(self._all_cores if channel in _BATCH_CHANNELS else 1)
        try:
            getattr(self, f"_do_{channel}")(request)
            if channel in _BATCH_CHANNELS:
                _return_free_memory()
        except ExportCancelled:
            self.export_cancelled.emit()
        except VaedeskError as exc:
            self.failed.emit(channel, str(exc))
        except Exception as exc:  # a bug or a broken checkpoint: report, keep running
            traceback.print_exc()
            self.failed.emit(channel, f"{type(exc).__name__}: {exc}")

    def _do_load(self, request: dict[str, Any]) -> None:
        from ..data import class_names, load_split, trained_on
        from ..encodings import cached_means
        from ..latent import Plane
        from ..model import load_model

        model = load_model(request["name"])
        data_dir, data_note = trained_on(model.card)  # a Fashion-MNIST model shows Fashion-MNIST
        test = load_split("test", data_dir, as_uint8=True)  # pixels needed only on a cache miss
        images, labels = test.images[:SCATTER_LIMIT], test.labels[:SCATTER_LIMIT]
        means = cached_means(model, images)
        if model.latent_dim == 1:
            raise VaedeskError(f"{model.name}: a 1-d latent space cannot be shown on a plane")
        plane = Plane.fit(means)
        # Warm up the forward passes so the first stroke is as fast as the rest.
        model.decode(model.encode(images[:1] / np.float32(255)).mean)
        self.model, self.plane = model, plane
        self.generation = request["generation"]
        self.model_loaded.emit(
            ModelInfo(self.generation, model.name, model.kind, model.latent_dim, model.card, plane,
                      plane.to_2d(means), labels, class_names(data_dir), data_note)
        )

    def _require_model(self):
        if self.model is None:
            raise VaedeskError("no model is loaded")
        return self.model

    def _do_encode(self, request: dict[str, Any]) -> None:
        from ..preprocess import preprocess_strokes

        model = self._require_model()
        if "image" in request:  # an imported picture, already the model's 28x28 input
            x = np.asarray(request["image"], np.float32)
        else:
            x = preprocess_strokes(request["strokes"], request.get("pen_width"))
        if "seed" in request:
            self.sample_seed = request["seed"]
        posterior = model.encode(x[None])
        mean = posterior.mean[0]
        if posterior.logvar is None:
            samples_z = np.zeros((0, model.latent_dim), np.float32)
            cov_xy = None
        else:
            std = posterior.std[0]
            samples_z = mean[None] + self._noise(model.latent_dim) * std[None]
            cov_xy = self.plane.project_covariance(std**2)
        self.encoded.emit(
            EncodeResult(request["id"], self.generation, x, posterior, self.plane.to_2d(mean[None])[0], cov_xy,
                         samples_z, self.plane.to_2d(samples_z) if len(samples_z) else np.zeros((0, 2)))
        )
        # The posterior is shown first; its decodings take twice as long as the encoding.
        # When a newer drawing is already waiting they would be replaced before anyone saw
        # them, so skip them: the last drawing of a stroke always gets its decodings.
        # Decoded in two halves, so that a new drawing waits for at most half of them.
        latents = np.concatenate([mean[None], samples_z])
        half = (len(latents) + 1) // 2
        images = []
        for part in (latents[:half], latents[half:]):
            if self._is_pending("encode"):
                return
            if len(part):
                images.append(model.decode(part))
        self.decoded.emit(DecodeResult("samples", request["id"], self.generation, np.zeros((0, 2)),
                                       np.concatenate(images)))

    def _noise(self, dim: int) -> np.ndarray:
        return np.random.default_rng(self.sample_seed).standard_normal((SAMPLE_COUNT, dim)).astype(np.float32)

    def _decode_points(self, channel: str, request: dict[str, Any], **extra: Any) -> None:
        model = self._require_model()
        points = np.asarray(request["points"], np.float64).reshape(-1, 2)
        images = model.decode(self.plane.to_latent(points)) if len(points) else np.zeros((0, 28, 28), np.float32)
        self.decoded.emit(DecodeResult(channel, request["id"], self.generation, points, images, extra))

    def _do_hover(self, request: dict[str, Any]) -> None:
        self._decode_points("hover", request)

    def _do_pins(self, request: dict[str, Any]) -> None:
        self._decode_points("pins", request, ids=request["ids"])

    def _do_grid(self, request: dict[str, Any]) -> None:
        from ..latent import grid, tile

        model = self._require_model()
        n, x_range, y_range = request["n"], request["x_range"], request["y_range"]
        points = grid(x_range, y_range, n)
        images = model.decode(self.plane.to_latent(points))
        self.decoded.emit(
            DecodeResult("grid", request["id"], self.generation, points, images,
                         {"tile": tile(images, n), "x_range": x_range, "y_range": y_range, "n": n})
        )

    def _resolve(self, endpoint: dict[str, Any]) -> np.ndarray:
        """A morph endpoint as a latent vector: a plane point, or a drawing's posterior mean."""
        from ..preprocess import preprocess_strokes

        if "xy" in endpoint:
            return self.plane.to_latent(np.asarray(endpoint["xy"], np.float64).reshape(1, 2))[0]
        if endpoint.get("image") is not None:
            x = np.asarray(endpoint["image"], np.float32)
        else:
            x = preprocess_strokes(endpoint["strokes"], endpoint.get("pen_width"))
        return self._require_model().encode(x[None]).mean[0]

    def _morph_latents(self, request: dict[str, Any]) -> np.ndarray:
        from ..latent import interpolate_path

        points = np.stack([self._resolve(e) for e in request["endpoints"]])
        return interpolate_path(points, request["frames"], request["method"], request["easing"])

    def _do_morph(self, request: dict[str, Any]) -> None:
        model = self._require_model()
        latents = self._morph_latents(request)
        frames = model.decode(latents)
        self.decoded.emit(
            DecodeResult("morph", request["id"], self.generation, self.plane.to_2d(latents), frames)
        )

    def _do_export(self, request: dict[str, Any]) -> None:
        from ..export import save_gif, save_png_frames

        model = self._require_model()
        frames = model.decode(self._morph_latents(request))
        cancel: threading.Event = request["cancel"]
        options = dict(size=request["size"], pingpong=request["pingpong"],
                       progress=self.export_progress.emit, should_cancel=cancel.is_set)
        if request["format"] == "gif":
            path = save_gif(frames, request["path"], fps=request["fps"], **options)
        else:
            path = save_png_frames(frames, request["path"], **options)
        self.export_finished.emit(str(path))


class WorkerClient(QObject):
    """The GUI thread's handle on the worker: request methods, and the thread's lifetime."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = ModelWorker()
        self._ids = itertools.count(1)
        self._generations = itertools.count(1)
        self.generation = 0
        self.export_cancel = threading.Event()
        self.thread = start_thread(self.worker, "vaedesk-model-worker")

    def _next(self, channel: str, **request: Any) -> int:
        request["id"] = next(self._ids)
        self.worker.submit(channel, request)
        return request["id"]

    def load_model(self, name: str) -> int:
        self.generation = next(self._generations)
        return self._next("load", name=name, generation=self.generation)

    def encode_strokes(self, strokes: list[np.ndarray], pen_width: float | None = None) -> int:
        return self._next("encode", strokes=strokes, pen_width=pen_width)

    def encode_image(self, model_input: np.ndarray) -> int:
        """Encode an imported picture's 28x28 model input (preprocess_image's result: a
        picture is preprocessed once, when imported, so re-encoding never changes it)."""
        return self._next("encode", image=model_input)

    def resample(self, strokes: list[np.ndarray] | None, pen_width: float | None,
                 model_input: np.ndarray | None = None) -> int:
        seed = int(np.random.default_rng().integers(1 << 31))
        if model_input is not None:
            return self._next("encode", image=model_input, seed=seed)
        return self._next("encode", strokes=strokes, pen_width=pen_width, seed=seed)

    def hover(self, x: float, y: float) -> int:
        return self._next("hover", points=[(x, y)])

    def decode_pins(self, ids: list[int], points: np.ndarray) -> int:
        return self._next("pins", ids=list(ids), points=points)

    def manifold(self, x_range: tuple[float, float], y_range: tuple[float, float], n: int) -> int:
        return self._next("grid", x_range=x_range, y_range=y_range, n=n)

    def morph_preview(self, endpoints: list[dict[str, Any]], frames: int, method: str, easing: str) -> int:
        """Endpoints: ``{"xy": plane point}``, ``{"strokes", "pen_width"}`` or ``{"image": model input}``."""
        return self._next("morph", endpoints=endpoints, frames=frames, method=method, easing=easing)

    def export(self, endpoints: list[dict[str, Any]], path: str, fmt: str, *, frames: int, fps: float, size: int,
               method: str, easing: str, pingpong: bool) -> int:
        self.export_cancel = threading.Event()
        return self._next("export", endpoints=endpoints, path=path, format=fmt, frames=frames, fps=fps, size=size,
                          method=method, easing=easing, pingpong=pingpong, cancel=self.export_cancel)

    def cancel_export(self) -> None:
        self.export_cancel.set()

    def stop(self) -> None:
        self.export_cancel.set()
        stop_thread(self.thread)
