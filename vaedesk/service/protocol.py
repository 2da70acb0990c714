"""What the app's processes say to each other: typed, Qt-free, picklable messages.

Two children speak it, each over a ``multiprocessing`` connection held by a
:class:`vaedesk.service.process.ChildProcess`:

- the **model process** (:mod:`vaedesk.service.model_service`) gets :class:`Envelope`-d requests
  and the control messages :class:`CancelExport`, :class:`CancelViewFit` and :class:`Stop`; it
  answers with :class:`Result`-s and the events below them (:class:`ReferenceReady`,
  :class:`Failed`, the export's progress and end, a view fit's progress or cancelling). The
  view fitter it starts (:mod:`vaedesk.service.view_fit`) gets one :class:`FitNeighbours`.
  Every request travels on a :class:`Channel`; the client stamps it
  with a request id and the model generation, and each result carries both back, so the client
  (never the window) decides once whether a result is still wanted (as ndv's
  ``DataRequest``/``DataResponse``).
- the **training child** (:mod:`vaedesk.training.child`) gets one :class:`TrainingRun`, then
  :class:`Pause`, :class:`Resume`, :class:`Cancel`, :class:`Hover`, :class:`SetDrawing` and
  :class:`Stop`; it reports ``Progress`` (:class:`vaedesk.training.config.Progress`),
  :class:`Snapshot`, :class:`HoverDecoded`, :class:`CheckpointSaved`, :class:`Status` and one
  of :class:`RunFinished`, :class:`RunCancelled` or :class:`RunFailed`.

Receivers dispatch on a message's type. Everything here unpickles with NumPy alone: the
window's process never imports PyTorch, so the types that need more are named for type
checkers only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # value types of the core, named here without importing them
    from vaedesk.insight.comparison import Votes
    from vaedesk.insight.report import DrawingReport
    from vaedesk.latent.attributes import Member
    from vaedesk.latent.traversal import Traversal
    from vaedesk.latent.views import LatentView
    from vaedesk.model.posterior import Posterior
    from vaedesk.state.session import Drawing
    from vaedesk.state.workspace import ResolvedEndpoint


class Channel(enum.Enum):
    LOAD = "load"  # a model, its test-set scatter and the view of its latent space
    ENCODE = "encode"  # the current drawing's posterior
    SAMPLES = "samples"  # decodings of the shown posterior's mean and samples (follows ENCODE)
    HOVER = "hover"  # the plane point under the cursor
    PINS = "pins"  # every pin
    GRID = "grid"  # the manifold overlay
    MORPH = "morph"  # the morph preview
    EXPORT = "export"  # a GIF or PNG frames, as a cancellable job
    LENS = "lens"  # decodings over the posterior lens' view
    INSIGHT = "insight"  # a drawing's loss terms and nearest training digits (a few times a second)
    LIKELIHOOD = "likelihood"  # the same with the importance-weighted -log p(x), on pen release
    DENSITY = "density"  # the encoded training set's density on the plane (the aggregate posterior)
    PRIOR_SAMPLES = "prior_samples"  # decodings of draws from the prior and from the aggregate posterior
    TRAVERSAL = "traversal"  # each latent dimension swept from the current drawing's or pin's latent
    LATENT = "latent"  # the decoding of a latent vector the user edited (traversal or attribute sliders)
    ATTRIBUTE = "attribute"  # the direction from one group of examples to another (latent arithmetic)
    PRIOR_DRAWS = "prior_draws"  # decodings of seeded draws from the prior, and whether they look like digits
    VIEW_FIT = "view_fit"  # a view being fitted beside the service: its progress, or that it was cancelled

    @property
    def is_batch(self) -> bool:
        """Batch jobs use every core; interactive ones one (see ModelService)."""
        return self in (Channel.LOAD, Channel.GRID, Channel.EXPORT, Channel.DENSITY, Channel.PRIOR_DRAWS)

    @property
    def follows_encode(self) -> bool:
        """Results that belong to one encoding: wanted only while its posterior is shown."""
        return self is Channel.SAMPLES

    @property
    def yields_to_encode(self) -> bool:
        """Slower extras that wait while a newer drawing waits to be encoded, so the
        posterior follows the pen at full speed."""
        return self in (Channel.LENS, Channel.INSIGHT, Channel.LIKELIHOOD, Channel.TRAVERSAL)


@dataclass(frozen=True)
class Stop:
    """To either child: finish what is under way and end (a training run stays resumable)."""


@dataclass(frozen=True)
class Adopt:
    """To a spare model process, first: the environment and working folder of the app that
    takes it (it was started ahead, with the ones of that moment)."""

    environment: dict[str, str]
    folder: str


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class LoadRequest:
    name: str  # a model name or a checkpoint path
    view: str = "pca"  # how a latent space above 2-D is shown (vaedesk.latent.views.VIEW_KINDS)


@dataclass(frozen=True)
class EncodeRequest:
    drawing: Drawing  # strokes and pen, or an imported picture's model input
    seed: int | None = None  # a new seed for the posterior samples (Resample); None keeps the last


@dataclass(frozen=True)
class DecodeRequest:
    points: np.ndarray  # (N, 2) plane points
    ids: tuple[int, ...] = ()  # the pins' ids, for the PINS channel
    latents: np.ndarray | None = None  # (N, D) latent points to decode instead (pins); their plane points come back


@dataclass(frozen=True)
class GridRequest:
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    n: int


@dataclass(frozen=True)
class MorphRequest:
    endpoints: tuple[ResolvedEndpoint, ...]
    frames: int
    method: str
    easing: str


@dataclass(frozen=True)
class ExportRequest:
    morph: MorphRequest
    path: str
    format: str  # "gif" or "png"
    fps: float
    size: int
    pingpong: bool


@dataclass(frozen=True)
class LensRequest:
    mean: np.ndarray  # (D,) the posterior's mean: the decodings vary only along the plane
    mean_xy: np.ndarray  # (2,) the mean on the plane
    points: np.ndarray  # (n·n, 2) plane points of the lens' grid (PosteriorLens.grid_points)
    n: int
    extent: tuple[float, float, float, float]  # (x0, x1, y0, y1) the lens' view


@dataclass(frozen=True)
class ExplainRequest:
    drawing: Drawing  # INSIGHT: loss terms and neighbours; LIKELIHOOD: with the IWAE estimate too


@dataclass(frozen=True)
class TraversalRequest:
    """Sweep every dimension from a latent vector, or from the latent of a plane point (a pin)."""

    latent: np.ndarray | None  # (D,)
    xy: tuple[float, float] | None = None
    steps: int = 9


@dataclass(frozen=True)
class LatentRequest:
    latent: np.ndarray  # (D,) to decode


@dataclass(frozen=True)
class AttributeRequest:
    group_a: tuple[Member, ...]
    group_b: tuple[Member, ...]


@dataclass(frozen=True)
class CountRequest:
    n: int  # how many samples (PRIOR_SAMPLES) or bins a side (DENSITY)


@dataclass(frozen=True)
class PriorDrawsRequest:
    """``measured`` draws ε ~ N(0, I) made from ``seed`` (the same ε for every model of one
    latent size); the first ``shown`` of them are decoded."""

    seed: int
    shown: int
    measured: int


Request = (LoadRequest | EncodeRequest | DecodeRequest | GridRequest | MorphRequest | ExportRequest | LensRequest
           | ExplainRequest | TraversalRequest | LatentRequest | AttributeRequest | CountRequest
           | PriorDrawsRequest)


@dataclass(frozen=True)
class Envelope:
    """A request as the model service receives it."""

    channel: Channel
    request_id: int
    generation: int
    request: Request


@dataclass(frozen=True)
class CancelViewFit:
    """The view fit that the load of this generation waits for stops (the shown view stays)."""

    generation: int


@dataclass(frozen=True)
class CancelExport:
    """The export with this request id, and any older one, stops at its next frame."""

    request_id: int


# --------------------------------------------------------------------------- results


@dataclass
class Result:
    """What answers one request: its channel, the request's id and the model generation it
    was asked of (the client drops what is no longer wanted)."""

    channel: Channel
    request_id: int
    generation: int


@dataclass
class ModelInfo(Result):
    """LOAD: what the window needs to show a freshly loaded model."""

    name: str
    kind: str
    latent_dim: int
    card: dict[str, Any]
    view: LatentView  # latent space <-> plane
    scatter_xy: np.ndarray  # (N, 2) the test set's posterior means on the plane
    scatter_labels: np.ndarray  # (N,)
    class_names: tuple[str, ...] | None = None  # None: digits
    data_note: str = ""  # why the shown test set is not the model's own, if it is not


@dataclass
class EncodeResult(Result):
    """ENCODE: a drawing's posterior. Its decodings follow as a ``DecodeResult`` on the
    SAMPLES channel with the same request id: images[0] decodes the mean, images[1:] the samples."""

    input: np.ndarray  # the exact (28, 28) model input
    posterior: Posterior  # batch of one
    mean_xy: np.ndarray  # (2,) on the plane
    cov_xy: np.ndarray | None  # (2, 2) on the plane; None for an autoencoder
    samples_z: np.ndarray  # (S, D); empty for an autoencoder
    samples_xy: np.ndarray  # (S, 2)


@dataclass
class DecodeResult(Result):
    points: np.ndarray  # (N, 2) plane coordinates that were decoded
    images: np.ndarray  # (N, 28, 28)
    ids: tuple[int, ...] = ()  # PINS: the pins' ids
    tile: np.ndarray | None = None  # GRID: the decodings as one image
    x_range: tuple[float, float] = (0.0, 1.0)  # GRID: the region the tile covers
    y_range: tuple[float, float] = (0.0, 1.0)


@dataclass
class InsightResult(Result):
    """INSIGHT / LIKELIHOOD: a drawing's explanation and its nearest training digits."""

    report: DrawingReport
    neighbour_images: np.ndarray  # (K, 28, 28) the nearest training digits
    neighbour_xy: np.ndarray  # (K, 2) their posterior means on the plane


@dataclass
class TraversalResult(Result):
    traversal: Traversal
    origin_xy: np.ndarray  # (2,) the swept latent on the plane


@dataclass
class AttributeResult(Result):
    """The attribute vector from group A's mean latent (``start``) to group B's."""

    start: np.ndarray  # (D,)
    vector: np.ndarray  # (D,)
    sizes: tuple[int, int]  # the examples in groups A and B


@dataclass
class DensityResult(Result):
    image: np.ndarray  # (bins, bins) density, row 0 at the top
    extent: tuple[float, float, float, float]  # (x0, x1, y0, y1)


@dataclass
class PriorSamplesResult(Result):
    prior: np.ndarray  # (n, 28, 28) decodings of z ~ N(0, I)
    aggregate: np.ndarray  # (n, 28, 28) decodings of z ~ q(z|x) for random training images x


@dataclass
class PriorDrawsResult(Result):
    images: np.ndarray  # (shown, 28, 28) decodings of the first draws
    xy: np.ndarray  # (shown, 2) where they are on the plane
    votes: Votes  # the model's own 5-NN vote on each measured draw's decoding, encoded again
    test_share: float  # the share of confident votes on its test digits themselves, for scale


# --------------------------------------------------------------------------- the model process' events


@dataclass(frozen=True)
class ReferenceReady:
    """Explanations (and the density) can be asked of this model generation now."""

    generation: int


@dataclass(frozen=True)
class Failed:
    """A request on ``channel`` failed; ``message`` says why in one line."""

    channel: Channel
    message: str


@dataclass(frozen=True)
class ViewFitProgress:
    """The load of ``generation`` waits for its view to be fitted: which stage the fit is in
    (``vaedesk.latent.views.NEIGHBOUR_STAGES``, or "starting") and how far (0..1, or None)."""

    generation: int
    view: str
    stage: str
    fraction: float | None = None


@dataclass(frozen=True)
class ViewFitCancelled:
    """The fit the load of ``generation`` waited for was stopped; that load will not come."""

    generation: int


@dataclass(frozen=True)
class ExportProgress:
    done: int  # frames written
    total: int


@dataclass(frozen=True)
class ExportFinished:
    path: str


@dataclass(frozen=True)
class ExportCancelled:
    pass


# --------------------------------------------------------------------------- the view-fitting child
# The model process starts one (vaedesk.service.view_fit) for a view that has to be fitted,
# sends it one FitNeighbours and hears ViewFitProgress (generation 0), then NeighboursFitted
# or Failed; it ends the child to cancel the fit.


@dataclass(frozen=True)
class FitNeighbours:
    model: str  # a model name or a checkpoint path, as the LoadRequest named it
    seed: int = 0


@dataclass(frozen=True)
class NeighboursFitted:
    view: LatentView


# --------------------------------------------------------------------------- the training child


@dataclass(frozen=True)
class TrainingRun:
    """The run a training child does: a new one (``config``: ``TrainConfig`` fields) or an
    interrupted one continued with its own settings (``resume``: its run folder, see
    :mod:`vaedesk.training.checkpoint`). Every completed epoch is saved at ``out``."""

    out: str
    config: dict[str, Any] | None = None
    initial: str | None = None  # the model a new run fine-tunes
    command: str | None = None  # the same run on the command line, for the model's card
    resume: str | None = None

    def as_request(self) -> dict[str, Any]:
        """The run as the child's run takes it."""
        if self.resume:
            return {"resume": self.resume, "out": self.out}
        return {"config": self.config, "out": self.out, "initial": self.initial, "command": self.command}


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class Cancel:
    """The user's choice: the run is over and its checkpoint goes (the epochs saved stay)."""


@dataclass(frozen=True)
class Hover:
    """Decode this plane point with the current weights (during the run and after it)."""

    x: float
    y: float


@dataclass(frozen=True)
class SetDrawing:
    image: np.ndarray | None  # (28, 28) the user's drawing as the model takes it; None: none


@dataclass(frozen=True)
class DrawingPreview:
    """The user's drawing under the current weights."""

    mean_xy: np.ndarray  # (2,) its posterior mean on the plane
    cov_xy: np.ndarray | None  # (2, 2) on the plane; None for an autoencoder
    reconstruction: np.ndarray  # (28, 28)


@dataclass(frozen=True)
class Snapshot:
    """The latent space under the weights after ``step``."""

    step: int  # the optimiser steps behind these weights, counted over the whole run
    epoch: float  # the same in epochs
    scatter_xy: np.ndarray  # (N, 2) plane coordinates of the test means
    labels: np.ndarray  # (N,)
    axis_labels: tuple[str, str]
    active_units: int
    drawing: DrawingPreview | None
    final: bool = False  # the run's last weights: it has finished, or stopped on request
    kl: float | None = None  # mean KL to the prior per test image, nats; None for an autoencoder


@dataclass(frozen=True)
class HoverDecoded:
    x: float
    y: float
    image: np.ndarray  # (28, 28)


@dataclass(frozen=True)
class CheckpointSaved:
    path: str
    epoch: int


@dataclass(frozen=True)
class Status:
    text: str  # what the run is doing, e.g. evaluating


@dataclass(frozen=True)
class RunFinished:
    path: str  # the saved model
    metrics: dict[str, float]


@dataclass(frozen=True)
class RunCancelled:
    path: str  # the last complete epoch's checkpoint, or "" when none was completed


@dataclass(frozen=True)
class RunFailed:
    message: str  # one line
    path: str  # the last complete epoch's checkpoint, or ""


RUN_ENDS = (RunFinished, RunCancelled, RunFailed)
