"""What the window asks of the model process, and what comes back: typed, Qt-free, picklable.

Every request travels on a :class:`Channel`. The client stamps it with a request id and
the model generation; each result carries both back, so the client (never the window)
decides once whether a result is still wanted (as ndv's ``DataRequest``/``DataResponse``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import numpy as np

from vaedesk.latent.attributes import Member
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

    @property
    def is_batch(self) -> bool:
        """Batch jobs use every core; interactive ones one (see ModelService)."""
        return self in (Channel.LOAD, Channel.GRID, Channel.EXPORT, Channel.DENSITY)

    @property
    def follows_encode(self) -> bool:
        """Results that belong to one encoding: wanted only while its posterior is shown."""
        return self is Channel.SAMPLES

    @property
    def yields_to_encode(self) -> bool:
        """Slower extras that wait while a newer drawing waits to be encoded, so the
        posterior follows the pen at full speed (issue 13's lens and explanations)."""
        return self in (Channel.LENS, Channel.INSIGHT, Channel.LIKELIHOOD, Channel.TRAVERSAL)


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class LoadRequest:
    name: str  # a model name or a checkpoint path
    view: str = "pca"  # how a latent space above 2-D is shown (views.VIEW_KINDS)


@dataclass(frozen=True)
class EncodeRequest:
    drawing: Drawing  # strokes and pen, or an imported picture's model input
    seed: int | None = None  # a new seed for the posterior samples (Resample); None keeps the last


@dataclass(frozen=True)
class DecodeRequest:
    points: np.ndarray  # (N, 2) plane points
    ids: tuple[int, ...] = ()  # the pins' ids, for the PINS channel


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
class Envelope:
    """A request as the model service receives it."""

    channel: Channel
    request_id: int
    generation: int
    request: Any


# --------------------------------------------------------------------------- results


@dataclass
class ModelInfo:
    """What the window needs to show a freshly loaded model."""

    generation: int
    name: str
    kind: str
    latent_dim: int
    card: dict[str, Any]
    view: Any  # views.LatentView: latent space <-> plane
    scatter_xy: np.ndarray
    scatter_labels: np.ndarray
    class_names: tuple[str, ...] | None = None  # None: digits
    data_note: str = ""  # why the shown test set is not the model's own, if it is not


@dataclass
class EncodeResult:
    """A drawing's posterior. Its decodings follow as a ``DecodeResult`` on the SAMPLES
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
    channel: Channel
    request_id: int
    generation: int
    points: np.ndarray  # (N, 2) plane coordinates that were decoded
    images: np.ndarray  # (N, 28, 28)
    ids: tuple[int, ...] = ()  # PINS: the pins' ids
    tile: np.ndarray | None = None  # GRID: the decodings as one image
    x_range: tuple[float, float] = (0.0, 1.0)  # GRID: the region the tile covers
    y_range: tuple[float, float] = (0.0, 1.0)


@dataclass
class InsightResult:
    """INSIGHT / LIKELIHOOD: a drawing's explanation and its nearest training digits."""

    channel: Channel
    request_id: int
    generation: int
    report: Any  # explain.DrawingReport
    neighbour_images: np.ndarray  # (K, 28, 28) the nearest training digits
    neighbour_xy: np.ndarray  # (K, 2) their posterior means on the plane


@dataclass
class TraversalResult:
    channel: Channel
    request_id: int
    generation: int
    traversal: Any  # traversal.Traversal
    origin_xy: np.ndarray  # (2,) the swept latent on the plane


@dataclass
class AttributeResult:
    """The attribute vector from group A's mean latent (``start``) to group B's."""

    channel: Channel
    request_id: int
    generation: int
    start: np.ndarray  # (D,)
    vector: np.ndarray  # (D,)
    sizes: tuple[int, int]  # the examples in groups A and B


@dataclass
class DensityResult:
    channel: Channel
    request_id: int
    generation: int
    image: np.ndarray  # (bins, bins) density, row 0 at the top
    extent: tuple[float, float, float, float]  # (x0, x1, y0, y1)


@dataclass
class PriorSamplesResult:
    channel: Channel
    request_id: int
    generation: int
    prior: np.ndarray  # (n, 28, 28) decodings of z ~ N(0, I)
    aggregate: np.ndarray  # (n, 28, 28) decodings of z ~ q(z|x) for random training images x
