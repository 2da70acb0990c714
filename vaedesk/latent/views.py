"""Views of a latent space of any dimension on the 2-D plane the app draws.

A :class:`LatentView` maps latent vectors to plane points (``to_plane``) and plane points
back to latent vectors (``to_latent``), so that every point of the plane decodes. Four kinds:

- ``"pca"``: the plane of the two directions along which the training means vary most.
- ``"lda"``: the plane that best separates the classes (Fisher's linear discriminants).
- ``"dims"``: two latent coordinates themselves (by default the two that carry the most
  information, i.e. the largest average KL to the prior), the others held at an anchor.
- ``"neighbors"``: a non-linear map that keeps each training mean near its neighbours
  (UMAP); new points are placed, and plane points mapped back, by interpolating the nearest
  fitted training means. Fitting one takes minutes, so a shipped model carries its own
  (``NAME.neighbours.npz`` beside its weights, written by ``vaedesk views``), and a fit made on
  this machine is kept in the user's cache.

A :class:`Projection` is the orthogonal view a training run's snapshots are drawn with
(the first two latent axes, or principal components above two dimensions), fitted on the
means it shows and stored as a small dict.

For the linear views a plane point maps back to the *most likely* latent vector that
projects onto it: the conditional mean of a Gaussian fitted to the training means, which for
a point on the plane of the data is where the data are, not a pseudo-inverse through the
origin.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import re
import sys
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from vaedesk.errors import LatentError
from vaedesk.support.arrays import as_count, as_float_array, as_vector, check_dim, check_finite
from vaedesk.support.atomic import atomic_path
from vaedesk.support.limits import LATENT_DIM_LIMIT

if TYPE_CHECKING:
    from vaedesk.model.model import Model

__all__ = ["NEIGHBOUR_STAGES", "VIEW_KINDS", "LatentView", "LinearView", "NeighbourView", "Projection",
           "fit_neighbour_view", "fit_view", "neighbour_view_path", "read_neighbour_view", "save_neighbour_view",
           "stored_neighbour_view"]

log = logging.getLogger(__name__)

VIEW_KINDS = ("pca", "lda", "dims", "neighbors")
VIEW_NAMES = {"pca": "principal components", "lda": "class-separating (LDA)", "dims": "two latent dimensions",
              "neighbors": "neighbourhoods (UMAP)", "projection": "orthogonal projection"}
# Training means a neighbourhood map is fitted on at most: the map of 12,000 keeps the
# clusters of 60,000 and fits in seconds rather than minutes. VAEDESK_NEIGHBOUR_POINTS sets
# another number (a quicker, rougher map; the tests' windows use it, whose model process
# does not share the test's memory).
NEIGHBOUR_FIT_POINTS = 12_000
# A model's neighbourhood view stored beside its weights (`vaedesk views`), so that it shows at
# once on a new machine: NAME.neighbours.npz, plain arrays read without pickle.
NEIGHBOUR_FILE_SUFFIX = ".neighbours.npz"
NEIGHBOUR_FILE_FORMAT = 1
# What a neighbourhood fit does, in order (what its progress reports).
NEIGHBOUR_STAGES = ("encoding the training set", "finding neighbours", "laying out")
# progress(stage, fraction done or None)
FitProgress = Callable[[str, "float | None"], None]
# Nearest fitted means that place a new point on a neighbourhood map (and map a plane point back).
NEIGHBOURS_PLACING = 10


def _latents(z: ArrayLike, dim: int, what: str = "latent vectors") -> np.ndarray:
    array = as_float_array(z, what)
    if array.ndim not in (1, 2) or array.shape[-1] != dim:
        raise LatentError(f"{what} must have shape (N, {dim}), got {array.shape}")
    check_finite(array, what)
    return array


def _plane_points(p: ArrayLike) -> np.ndarray:
    array = as_float_array(p, "plane points")
    if array.ndim not in (1, 2) or array.shape[-1] != 2:
        raise LatentError(f"plane points must have shape (N, 2), got {array.shape}")
    check_finite(array, "plane points")
    return array


class LatentView:
    """How a D-dimensional latent space is shown on the plane (see the module's text)."""

    kind: str
    dim: int
    axis_labels: tuple[str, str]

    @property
    def keeps_prior_shape(self) -> bool:
        """Whether the prior N(0, I) looks like N(0, I) on the plane (its 1σ/2σ/3σ circles are
        circles): true of an orthonormal projection (principal components, two dimensions),
        not of a stretched (LDA) or non-linear (neighbourhood) map."""
        return self.kind in ("pca", "dims", "projection")

    def to_plane(self, z: ArrayLike) -> np.ndarray:  # pragma: no cover - abstract
        """Latent vectors (N, D) → plane points (N, 2); one (D,) → (2,)."""
        raise NotImplementedError

    def to_latent(self, p: ArrayLike) -> np.ndarray:  # pragma: no cover - abstract
        """Plane points (N, 2) → latent vectors (N, D); one (2,) → (D,)."""
        raise NotImplementedError

    def project_gaussian(self, mean: ArrayLike, var: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Centre (2,) and covariance (2, 2) on the plane of the diagonal Gaussian N(mean, var)."""
        raise NotImplementedError  # pragma: no cover - abstract

    @property
    def name(self) -> str:
        return VIEW_NAMES[self.kind]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kind={self.kind!r}, dim={self.dim}, axis_labels={self.axis_labels!r})"


class LinearView(LatentView):
    """``to_plane(z) = (z - centre) @ weights.T``; ``to_latent`` is the Gaussian conditional
    mean given the plane point (or, for ``"dims"``, the anchor with the two shown
    coordinates replaced)."""

    def __init__(self, kind: str, weights: ArrayLike, centre: ArrayLike, covariance: ArrayLike,
                 axis_labels: Sequence[str], anchor: ArrayLike | None = None,
                 shown_dims: tuple[int, int] | None = None) -> None:
        w = as_float_array(weights, "view weights")
        if w.ndim != 2 or w.shape[0] != 2 or w.shape[1] < 2:
            raise LatentError(f"view weights must have shape (2, D) with D ≥ 2, got {w.shape}")
        check_finite(w, "view weights")
        self.kind, self.dim = kind, int(w.shape[1])
        self.weights = w
        self.centre = _latents(centre, self.dim, "view centre").reshape(self.dim)
        cov = as_float_array(covariance, "view covariance")
        if cov.shape != (self.dim, self.dim):
            raise LatentError(f"view covariance must have shape ({self.dim}, {self.dim}), got {cov.shape}")
        self.covariance = cov
        self.axis_labels = (str(axis_labels[0]), str(axis_labels[1]))
        self.shown_dims = shown_dims
        self.anchor = self.centre.copy() if anchor is None else _latents(anchor, self.dim, "anchor").reshape(self.dim)
        # The conditional mean's gain: Σ Wᵀ (W Σ Wᵀ)⁻¹, (D, 2).
        projected = w @ cov @ w.T
        if abs(np.linalg.det(projected)) < 1e-12:
            raise LatentError("the view's two directions carry no variance of the data")
        self._gain = cov @ w.T @ np.linalg.inv(projected)
        for array in (self.weights, self.centre, self.covariance, self.anchor, self._gain):
            array.setflags(write=False)

    def to_plane(self, z: ArrayLike) -> np.ndarray:
        return (_latents(z, self.dim) - self.centre) @ self.weights.T

    def to_latent(self, p: ArrayLike) -> np.ndarray:
        points = _plane_points(p)
        if self.shown_dims is not None:
            out = np.broadcast_to(self.anchor, points.shape[:-1] + (self.dim,)).copy()
            out[..., list(self.shown_dims)] = points + self.centre[list(self.shown_dims)]
            return out
        return self.centre + points @ self._gain.T

    def with_anchor(self, z: ArrayLike) -> LinearView:
        """The same view with the hidden coordinates held at ``z`` (e.g. the drawing's mean);
        only a ``"dims"`` view has hidden coordinates that stay put."""
        return LinearView(self.kind, self.weights, self.centre, self.covariance, self.axis_labels,
                          anchor=_latents(z, self.dim).reshape(self.dim), shown_dims=self.shown_dims)

    def project_gaussian(self, mean: ArrayLike, var: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        m = _latents(mean, self.dim, "posterior mean").reshape(self.dim)
        v = _latents(var, self.dim, "posterior variance").reshape(self.dim)
        if np.any(v < 0):
            raise LatentError("variances must not be negative")
        cov = (self.weights * v) @ self.weights.T
        return self.to_plane(m), (cov + cov.T) / 2


class NeighbourView(LatentView):
    """A neighbourhood-keeping map fitted on ``fitted_latents`` (M, D) → ``fitted_plane``
    (M, 2); any point is placed by an inverse-distance average of its nearest fitted means'
    places, and a plane point maps back the same way.

    ``known_places`` maps the digest of a data set's images
    (:func:`vaedesk.model.encodings.data_digest`) to the plane points of their means, placed
    when the view was stored: placing the 10,000 test digits of the app's scatter takes
    seconds, reading them none."""

    kind = "neighbors"

    def __init__(self, fitted_latents: ArrayLike, fitted_plane: ArrayLike, k: int = NEIGHBOURS_PLACING,
                 known_places: Mapping[str, ArrayLike] | None = None) -> None:
        latents = as_float_array(fitted_latents, "fitted latents")
        plane = as_float_array(fitted_plane, "fitted plane points")
        if latents.ndim != 2 or plane.shape != (len(latents), 2) or len(latents) < k:
            raise LatentError(f"a neighbourhood map needs at least {k} fitted points and their plane points")
        check_finite(latents, "fitted latents")
        check_finite(plane, "fitted plane points")
        self.dim = int(latents.shape[1])
        self.k = int(k)
        self.fitted_latents = latents.astype(np.float32)
        self.fitted_plane = plane.astype(np.float32)
        self.axis_labels = ("UMAP 1", "UMAP 2")
        self.known_places: dict[str, np.ndarray] = {}
        for digest, places in (known_places or {}).items():
            points = as_float_array(places, "known plane points")
            if points.ndim != 2 or points.shape[1] != 2:
                raise LatentError(f"known plane points must have shape (N, 2), got {points.shape}")
            check_finite(points, "known plane points")
            self.known_places[str(digest)] = points.astype(np.float32)
        for array in (self.fitted_latents, self.fitted_plane, *self.known_places.values()):
            array.setflags(write=False)
        self._search: dict[str, Any] = {}  # torch copies of the fitted points, made on first use

    def with_known_places(self, places: Mapping[str, ArrayLike]) -> NeighbourView:
        """The same view, with ``places`` (data digest → plane points) known as well."""
        return NeighbourView(self.fitted_latents, self.fitted_plane, self.k, {**self.known_places, **places})

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (to or from the model process) without the torch copies: torch would
        share their memory through a channel the other process cannot open."""
        return {**self.__dict__, "_search": {}}

    def _nearest(self, queries: np.ndarray, source: str) -> tuple[np.ndarray, np.ndarray]:
        """Distances and indices (N, k) of the k nearest of the fitted points named ``source``.

        With PyTorch when this process has it (the model process: thousands of queries at a
        time); else with NumPy, so the window, which places a few points (the prior's centre,
        pins), never imports PyTorch (seconds)."""
        torch = sys.modules.get("torch")
        if torch is not None:
            return self._nearest_torch(torch, queries, source)
        ref = getattr(self, f"fitted_{source}")
        distances = np.empty((len(queries), self.k), np.float64)
        indices = np.empty((len(queries), self.k), np.int64)
        for start in range(0, len(queries), 16):  # 16 queries x 12,000 differences x D: a few MB
            # Exact differences, not |x|² + |y|² - 2xy: a fitted point must find itself at 0.
            d = np.linalg.norm(queries[start : start + 16, None, :].astype(np.float32) - ref[None], axis=2)
            part = np.argpartition(d, self.k - 1, axis=1)[:, : self.k]
            order = np.take_along_axis(d, part, 1).argsort(1)
            indices[start : start + 16] = np.take_along_axis(part, order, 1)
            distances[start : start + 16] = np.take_along_axis(d, indices[start : start + 16], 1)
        return distances, indices

    def _nearest_torch(self, torch: Any, queries: np.ndarray, source: str) -> tuple[np.ndarray, np.ndarray]:
        if source not in self._search:  # once, not per drawing: torch wants writable memory
            self._search[source] = torch.from_numpy(getattr(self, f"fitted_{source}").copy())
        ref = self._search[source]
        q = torch.from_numpy(np.ascontiguousarray(queries, dtype=np.float32))
        distances = np.empty((len(q), self.k), np.float64)
        indices = np.empty((len(q), self.k), np.int64)
        for start in range(0, len(q), 1024):  # 1,024 queries x 12,000 distances: 48 MB
            # Exact differences, not |x|² + |y|² - 2xy: a fitted point must find itself at 0.
            distance, index = torch.cdist(q[start : start + 1024], ref, compute_mode="donot_use_mm_for_euclid_dist"
                                          ).topk(self.k, largest=False)
            distances[start : start + 1024], indices[start : start + 1024] = distance.double().numpy(), index.numpy()
        return distances, indices

    def _interpolate(self, queries: np.ndarray, source: str, target: np.ndarray) -> np.ndarray:
        """Inverse-distance average of ``target`` over the k nearest of the fitted points named
        ``source`` ("latents" or "plane")."""
        single = queries.ndim == 1
        distance, index = self._nearest(np.atleast_2d(queries), source)
        weight = 1.0 / (distance + 1e-9)
        weight /= weight.sum(1, keepdims=True)
        out = np.einsum("nk,nkc->nc", weight, target[index])
        return out[0] if single else out

    def to_plane(self, z: ArrayLike) -> np.ndarray:
        return self._interpolate(_latents(z, self.dim), "latents", self.fitted_plane)

    def to_latent(self, p: ArrayLike) -> np.ndarray:
        return self._interpolate(_plane_points(p), "plane", self.fitted_latents)

    def project_gaussian(self, mean: ArrayLike, var: ArrayLike, samples: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """A non-linear map bends a Gaussian: its place is its mean's, its spread the
        covariance of fixed posterior samples (seeded, so an ellipse does not flicker)."""
        m = _latents(mean, self.dim, "posterior mean").reshape(self.dim)
        v = _latents(var, self.dim, "posterior variance").reshape(self.dim)
        noise = np.random.default_rng(0).standard_normal((samples, self.dim))
        placed = self.to_plane(m + noise * np.sqrt(np.maximum(v, 0)))
        return self.to_plane(m), np.cov(placed, rowvar=False)


# ------------------------------------------------------------------------------ fitting


# Tolerance for checking that stored components are orthonormal.
_ORTHO_TOL = 1e-6


class Projection(LatentView):
    """An orthogonal 2-D view of a D-dimensional latent space, kept with a trained model's
    snapshots (the training studio's plane) and stored as a small dict.

    A latent vector ``z`` maps to plane coordinates ``(z − origin) @ components.T`` and a
    plane point ``xy`` maps back to ``origin + xy @ components``. The two rows of
    ``components`` are orthonormal, so mapping a point of the plane down and back up
    returns it unchanged, and the latent→plane map is an orthogonal projection.

    Attributes (read-only arrays):
        origin: (D,) latent vector shown at (0, 0).
        components: (2, D) the unit directions of the x and y axes.
        axis_labels: labels for the x and y axes, e.g. ``("PC1 (23% var)", …)``.
        explained_variance_ratio: (2,) fraction of the fitted means' total variance
            along each axis; NaN where unknown (an identity plane built without data).
    """

    kind = "projection"
    origin: np.ndarray
    components: np.ndarray
    explained_variance_ratio: np.ndarray

    def __init__(
        self,
        origin: ArrayLike,
        components: ArrayLike,
        axis_labels: Sequence[str],
        explained_variance_ratio: ArrayLike,
    ) -> None:
        comps = as_float_array(components, "plane components")
        if comps.ndim != 2 or comps.shape[0] != 2 or comps.shape[1] < 2:
            raise LatentError(f"plane components must have shape (2, D) with D ≥ 2, got {comps.shape}")
        check_dim(comps.shape[1], "plane components")
        check_finite(comps, "plane components")
        if not np.allclose(comps @ comps.T, np.eye(2), atol=_ORTHO_TOL):
            raise LatentError("plane components must be two orthonormal vectors")
        dim = comps.shape[1]
        orig = as_vector(origin, "plane origin", dim)
        ratio = as_float_array(explained_variance_ratio, "explained variance ratio")
        if ratio.shape != (2,):
            raise LatentError(f"explained variance ratio must have shape (2,), got {ratio.shape}")
        labels = () if isinstance(axis_labels, str) else tuple(axis_labels)
        if len(labels) != 2 or not all(isinstance(label, str) for label in labels):
            raise LatentError("a plane needs exactly two axis labels (strings)")
        for array in (orig, comps, ratio):
            array.setflags(write=False)  # shared with callers; keep it immutable
        self.origin = orig
        self.components = comps
        self.dim = int(comps.shape[1])
        self.axis_labels = (labels[0], labels[1])
        self.explained_variance_ratio = ratio

    def __repr__(self) -> str:
        return f"Projection(dim={self.dim}, axis_labels={self.axis_labels!r})"

    @classmethod
    def identity(cls, dim: int) -> Projection:
        """The plane of the first two latent axes through the origin, labelled z1, z2.

        For ``dim == 2`` this is the whole latent space and both maps are exact
        identities. Raises :class:`LatentError` for ``dim < 2``.
        """
        dim = as_count(dim, "latent dimension for a plane", 2, LATENT_DIM_LIMIT)
        components = np.zeros((2, dim))
        components[0, 0] = components[1, 1] = 1.0
        return cls(np.zeros(dim), components, ("z1", "z2"), [math.nan, math.nan])

    @classmethod
    def fit(cls, means: ArrayLike) -> Projection:
        """Choose a plane for showing the latent means ``(N, D)``.

        D == 2: the identity plane (z1, z2); its variance ratios are the per-axis shares
        of the means' variance when N ≥ 2 and it is non-zero, else NaN.
        D > 2: principal component analysis. The origin is the mean of the means, the
        components the top two principal directions, labelled ``"PC1 (23% var)"`` and
        ``"PC2 (…)"``. Each component's sign is fixed so that its largest-magnitude
        entry is positive, making the result deterministic. Needs N ≥ 2 means with
        non-zero spread.
        """
        data = as_float_array(means, "latent means")
        if data.ndim != 2 or data.shape[0] < 1:
            raise LatentError(f"latent means must have shape (N, D) with N ≥ 1, got {data.shape}")
        check_finite(data, "latent means")
        n, dim = data.shape
        check_dim(dim, "latent means")
        if dim < 2:
            raise LatentError(f"a 2-D view needs a latent dimension of at least 2, got {dim}")
        if dim == 2:
            plane = cls.identity(2)
            var = data.var(axis=0) if n >= 2 else np.zeros(2)
            total = float(var.sum())
            ratio = var / total if total > 0.0 else np.array([math.nan, math.nan])
            return cls(plane.origin, plane.components, plane.axis_labels, ratio)

        if n < 2:
            raise LatentError("a principal-component view needs at least 2 latent means")
        centre = data.mean(axis=0)
        centred = data - centre
        _, singular, vt = np.linalg.svd(centred, full_matrices=False)
        power = singular**2
        total = float(power.sum())
        if total <= 0.0:
            raise LatentError("all latent means are identical; cannot choose a 2-D view")
        components = vt[:2].copy()
        # SVD signs are arbitrary; pin them so the same data always gives the same view.
        for row in components:
            if row[np.argmax(np.abs(row))] < 0.0:
                row *= -1.0
        ratio = power[:2] / total
        labels = (
            f"PC1 ({ratio[0] * 100:.0f}% var)",
            f"PC2 ({ratio[1] * 100:.0f}% var)",
        )
        return cls(centre, components, labels, ratio)

    def to_plane(self, z: ArrayLike) -> np.ndarray:
        """Project latent vectors (N, D) onto the plane → (N, 2). A single (D,) → (2,)."""
        return (_latents(z, self.dim) - self.origin) @ self.components.T

    def to_latent(self, p: ArrayLike) -> np.ndarray:
        """Map plane points (N, 2) to latent vectors (N, D). A single (2,) → (D,)."""
        return self.origin + _plane_points(p) @ self.components

    def project_gaussian(self, mean: ArrayLike, var: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        m = _latents(mean, self.dim, "posterior mean").reshape(self.dim)
        return self.to_plane(m), self.project_covariance(var)

    def project_covariance(self, var: ArrayLike) -> np.ndarray:
        """Covariance (2, 2) on the plane of a diagonal Gaussian with variances ``var`` (D,).

        Computes C · diag(var) · Cᵀ with C the (2, D) components, for drawing posterior
        ellipses with :func:`covariance_ellipse`.
        """
        variances = as_vector(var, "variances", self.dim)
        if np.any(variances < 0.0):
            raise LatentError("variances must not be negative")
        cov = (self.components * variances) @ self.components.T
        return (cov + cov.T) / 2.0  # remove rounding asymmetry

    def to_dict(self) -> dict[str, Any]:
        """A small JSON-friendly dict (NaN ratios become ``None``)."""
        return {
            "origin": [float(v) for v in self.origin],
            "components": [[float(v) for v in row] for row in self.components],
            "axis_labels": list(self.axis_labels),
            "explained_variance_ratio": [
                None if math.isnan(v) else float(v) for v in self.explained_variance_ratio
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Projection:
        """Rebuild a plane from :meth:`to_dict`'s output; LatentError if it is malformed."""
        if not isinstance(data, Mapping):
            raise LatentError("a stored plane must be a mapping")
        try:
            ratio = [math.nan if v is None else v for v in data["explained_variance_ratio"]]
            return cls(data["origin"], data["components"], data["axis_labels"], ratio)
        except KeyError as exc:
            raise LatentError(f"stored plane is missing {exc.args[0]!r}") from None
        except TypeError:
            raise LatentError("stored plane has a field of the wrong type") from None


def _pca(data: np.ndarray) -> LinearView:
    centre = data.mean(0)
    cov = np.cov(data, rowvar=False)
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1][:2]
    w = vectors[:, order].T.copy()
    for row in w:  # eigenvector signs are arbitrary; pinned so a view is reproducible
        if row[np.argmax(np.abs(row))] < 0:
            row *= -1
    share = values[order] / max(values.sum(), 1e-300)
    return LinearView("pca", w, centre, cov, (f"PC1 ({share[0]:.0%} var)", f"PC2 ({share[1]:.0%} var)"))


def _lda(data: np.ndarray, labels: np.ndarray) -> LinearView:
    classes = np.unique(labels)
    if len(classes) < 3:
        raise LatentError("a class-separating view needs points of at least 3 classes")
    centre = data.mean(0)
    within = sum(np.cov(data[labels == c], rowvar=False, bias=True) * (labels == c).sum() for c in classes)
    within = within / len(data)
    # Shrink toward a multiple of I: a dimension the KL term switched off has next to no
    # spread of means, and whitening would blow its noise up into the view.
    within = 0.9 * within + 0.1 * (np.trace(within) / len(within)) * np.eye(len(within))
    # Whiten the within-class scatter, then take the principal directions of the class means.
    values, vectors = np.linalg.eigh(within)
    whiten = vectors / np.sqrt(values)
    class_means = np.stack([data[labels == c].mean(0) for c in classes]) - centre
    weights = np.array([(labels == c).mean() for c in classes])
    between = (class_means @ whiten).T @ ((class_means @ whiten) * weights[:, None])
    b_values, b_vectors = np.linalg.eigh(between)
    order = np.argsort(b_values)[::-1][:2]
    w = (whiten @ b_vectors[:, order]).T.copy()
    for row in w:
        if row[np.argmax(np.abs(row))] < 0:
            row *= -1
    return LinearView("lda", w, centre, np.cov(data, rowvar=False), ("LD1", "LD2"))


def _dims(data: np.ndarray, information: np.ndarray | None, dims: Sequence[int] | None) -> LinearView:
    dim = data.shape[1]
    if dims is None:
        score = information if information is not None else data.var(0)
        dims = tuple(int(i) for i in np.argsort(score)[::-1][:2])
    valid = all(isinstance(i, (int, np.integer)) and 0 <= i < dim for i in dims)
    if len(dims) != 2 or len(set(dims)) != 2 or not valid:
        raise LatentError(f"choose two different latent dimensions in 0..{dim - 1}, got {tuple(dims)!r:.60}")
    w = np.zeros((2, dim))
    w[0, dims[0]] = w[1, dims[1]] = 1.0
    # The plane shows the coordinates themselves (the prior's centre at 0, 0); the hidden
    # ones are held at the data's mean.
    return LinearView("dims", w, np.zeros(dim), np.cov(data, rowvar=False), (f"z{dims[0] + 1}", f"z{dims[1] + 1}"),
                      anchor=data.mean(0), shown_dims=(int(dims[0]), int(dims[1])))


def _neighbour_fit_points() -> int:
    setting = os.environ.get("VAEDESK_NEIGHBOUR_POINTS", "")
    try:
        return max(100, int(setting)) if setting else NEIGHBOUR_FIT_POINTS
    except ValueError:
        raise LatentError(f"VAEDESK_NEIGHBOUR_POINTS must be a whole number, not {setting!r}") from None


def _neighbour_choice(count: int, seed: int) -> np.ndarray:
    """Which of ``count`` means a neighbourhood map is fitted on (sorted indices)."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(count, min(count, _neighbour_fit_points()), replace=False))


def _neighbour_tag(seed: int, points: int) -> str:
    """The user-cache tag of a fitted neighbourhood plane."""
    return f"neighbours-v1-seed{seed}-{points}"


class _UmapReport(io.TextIOBase):
    """What UMAP prints as it works (``verbose``), read as the fit's stages and the layout's
    epochs and passed on as ``progress(stage, fraction)``."""

    def __init__(self, progress: FitProgress) -> None:
        super().__init__()
        self._progress = progress
        self._laying_out = False

    def write(self, text: str) -> int:
        if "Construct embedding" in text:
            self._laying_out = True
            self._progress(NEIGHBOUR_STAGES[2], 0.0)
        elif self._laying_out:
            epochs = re.findall(r"(\d+)/(\d+)", text)
            if epochs and int(epochs[-1][1]) > 0:
                self._progress(NEIGHBOUR_STAGES[2], min(1.0, int(epochs[-1][0]) / int(epochs[-1][1])))
        return len(text)


def _neighbours(data: np.ndarray, seed: int, cached: Callable[..., np.ndarray] | None = None,
                progress: FitProgress | None = None) -> NeighbourView:
    """UMAP of (at most NEIGHBOUR_FIT_POINTS of) the means; ``cached(tag, shape, compute)``
    keeps the fitted plane on disk when the means are a model's training set."""
    fitted = data[_neighbour_choice(len(data), seed)].astype(np.float32)

    def fit() -> np.ndarray:
        if progress is not None:
            progress(NEIGHBOUR_STAGES[1], None)
        try:
            import umap  # heavy (numba): only when this view is asked for
        except ImportError:
            raise LatentError("the neighbourhood view needs the umap-learn package (pip install umap-learn)") from None
        if progress is None:
            reducer = umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=seed, n_jobs=1)
            return reducer.fit_transform(fitted).astype(np.float32)
        # Verbose only to hear the stages: what it prints goes to the report, not the terminal.
        report = _UmapReport(progress)
        reducer = umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=seed, n_jobs=1, verbose=True,
                            tqdm_kwds={"file": report, "bar_format": "{n}/{total}\n", "mininterval": 0.5,
                                       "disable": False})
        with contextlib.redirect_stdout(report):
            return reducer.fit_transform(fitted).astype(np.float32)

    plane = fit() if cached is None else cached(_neighbour_tag(seed, len(fitted)), (len(fitted), 2), fit)
    return NeighbourView(fitted, plane)


# ------------------------------------------------------------------------------ stored neighbourhood maps


def neighbour_view_path(weights: str | os.PathLike[str]) -> Path:
    """Where the neighbourhood view of the model saved at ``weights`` is stored: beside it,
    ``NAME.neighbours.npz``."""
    path = Path(weights)
    return path.with_name(path.stem + NEIGHBOUR_FILE_SUFFIX)


def save_neighbour_view(view: NeighbourView, path: str | os.PathLike[str], *, seed: int,
                        weights_sha256: str) -> Path:
    """Write ``view`` (fitted with ``seed`` for the weights of SHA-256 ``weights_sha256``) to
    ``path`` as plain arrays, atomically: the fitted latents in float16 (placing a point by
    its nearest fitted means needs no more), their plane points and the view's
    ``known_places`` in float32."""
    latents = view.fitted_latents.astype(np.float16)
    if not np.isfinite(latents).all():
        raise LatentError("the fitted latents are too large to store in float16")
    arrays: dict[str, Any] = {  # Any: numpy's stubs would take a ** of arrays for its flags
        "format": np.array(NEIGHBOUR_FILE_FORMAT), "fitted_latents": latents,
        "fitted_plane": view.fitted_plane.astype(np.float32), "seed": np.array(seed, np.int64),
        "weights_sha256": np.array(str(weights_sha256)),
        **{f"places_{digest}": places for digest, places in view.known_places.items()}}
    target = Path(path)
    with atomic_path(target) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)  # plain arrays only: read back without pickle
    return target


def read_neighbour_view(path: str | os.PathLike[str], weights_sha256: str, seed: int = 0) -> NeighbourView | None:
    """The neighbourhood view stored at ``path`` when it was fitted with ``seed`` for these
    weights; None (and a log line saying why) when it is missing, unreadable or stale, so
    that the caller fits the view again."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        # Opened here, not by np.load: it leaves its file open when the zip is broken.
        with open(path, "rb") as file, np.load(file, allow_pickle=False) as stored:
            version = int(stored["format"])
            digest, stored_seed = str(stored["weights_sha256"]), int(stored["seed"])
            latents, plane = stored["fitted_latents"], stored["fitted_plane"]
            known = {name.removeprefix("places_"): stored[name] for name in stored.files
                     if name.startswith("places_")}
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        log.warning("%s cannot be read (%s); the neighbourhood view is fitted again", path, exc)
        return None
    if version != NEIGHBOUR_FILE_FORMAT:
        log.warning("%s is of another format (%d); the neighbourhood view is fitted again", path, version)
        return None
    if digest != weights_sha256:
        log.warning("%s was fitted for other weights than the model's (SHA-256 %.12s…, not %.12s…); the "
                    "neighbourhood view is fitted again", path, digest, weights_sha256)
        return None
    if stored_seed != seed:
        log.info("%s was fitted with seed %d, not %d; the neighbourhood view is fitted again", path, stored_seed, seed)
        return None
    if os.environ.get("VAEDESK_NEIGHBOUR_POINTS") and len(latents) != _neighbour_fit_points():
        return None  # another number of points asked for: another map
    try:
        return NeighbourView(np.asarray(latents, np.float32), plane, known_places=known)
    except LatentError as exc:
        log.warning("%s holds no usable view (%s); the neighbourhood view is fitted again", path, exc)
        return None


def stored_neighbour_view(model: Model, seed: int = 0) -> NeighbourView | None:
    """``model``'s neighbourhood view when it needs no fitting: the one stored beside its
    weights (:func:`save_neighbour_view`), or one fitted before on this machine (in the user's
    cache); None when it would have to be fitted (:func:`fit_neighbour_view`)."""
    if model.path is not None and model.digest is not None:
        view = read_neighbour_view(neighbour_view_path(model.path), model.digest, seed)
        if view is not None:
            return view
    if model.digest is None:
        return None
    from vaedesk.data.datasets import model_split
    from vaedesk.model.encodings import read_cached_array

    images = model_split(model.card, "train", as_uint8=True).images
    means = read_cached_array(model, images, "", (len(images), model.latent_dim))
    if means is None:
        return None
    chosen = _neighbour_choice(len(means), seed)
    plane = read_cached_array(model, images, _neighbour_tag(seed, len(chosen)), (len(chosen), 2))
    return None if plane is None else NeighbourView(means[chosen], plane)


def fit_neighbour_view(model: Model, seed: int = 0, progress: FitProgress | None = None) -> NeighbourView:
    """Fit ``model``'s neighbourhood view on its training-set means (cached in the user's cache,
    as is the fitted plane); ``progress(stage, fraction)`` hears each of
    :data:`NEIGHBOUR_STAGES` as it starts and how far it is (a fraction, or None)."""
    from vaedesk.data.datasets import model_split
    from vaedesk.model.encodings import cached_array, cached_means

    images = model_split(model.card, "train", as_uint8=True).images
    encoded = None
    if progress is not None:
        progress(NEIGHBOUR_STAGES[0], 0.0)

        def encoded(done: int, total: int) -> None:
            progress(NEIGHBOUR_STAGES[0], done / total)

    means = cached_means(model, images, progress=encoded)

    def cached(tag: str, shape: tuple[int, ...], compute: Callable[[], np.ndarray]) -> np.ndarray:
        return cached_array(model, images, tag, shape, compute)

    return _neighbours(means, seed, cached, progress)


def fit_view(model: Model, kind: str, data: ArrayLike | None = None, labels: ArrayLike | None = None,
             seed: int = 0, dims: Sequence[int] | None = None, information: ArrayLike | None = None) -> LatentView:
    """A view of ``model``'s latent space of ``kind`` (one of :data:`VIEW_KINDS`), fitted on
    ``data``: latent means (N, D), by default the model's training-set posterior means (and
    their labels, which ``"lda"`` needs; a neighbourhood map of those is cached on disk per
    model). ``"dims"`` shows ``dims``, by default the two of largest ``information`` (each
    dimension's average KL; computed for the model when no data is given, else the
    variance of the means stands in). Deterministic for a ``seed``."""
    if not isinstance(kind, str) or kind not in VIEW_KINDS:
        raise LatentError(f"unknown view {kind!r:.40}; expected one of {', '.join(VIEW_KINDS)}")
    if data is None and kind == "neighbors" and model.latent_dim > 2:
        return stored_neighbour_view(model, seed) or fit_neighbour_view(model, seed)
    if data is None:
        from vaedesk.data.datasets import model_split
        from vaedesk.model.encodings import cached_means

        train = model_split(model.card, "train", as_uint8=True)
        data, labels = cached_means(model, train.images), train.labels
        if kind == "dims" and information is None:
            from vaedesk.latent.traversal import dimension_information

            information = dimension_information(model)
    points = as_float_array(data, "latent means")
    if points.ndim != 2 or len(points) < 3 or points.shape[1] < 2:
        raise LatentError(f"a view needs latent means of shape (N, D) with N ≥ 3 and D ≥ 2, got {points.shape}")
    check_finite(points, "latent means")
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (len(points),):
            raise LatentError(f"labels must have shape ({len(points)},), got {labels.shape}")
    if points.shape[1] == 2:  # the plane is the latent space itself, whatever view is asked for
        return _dims(points, None, (0, 1))
    if kind == "pca":
        return _pca(points)
    if kind == "lda":
        if labels is None:
            raise LatentError("a class-separating view needs the labels of the latent means")
        return _lda(points, labels)
    if kind == "dims":
        return _dims(points, None if information is None else np.asarray(information, np.float64), dims)
    return _neighbours(points, seed)


# ------------------------------------------------------------------------------ arithmetic
