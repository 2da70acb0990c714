"""Views of a latent space of any dimension on the 2-D plane the app draws.

A :class:`LatentView` maps latent vectors to plane points (``to_plane``) and plane points
back to latent vectors (``to_latent``), so that every point of the plane decodes. Four kinds:

- ``"pca"``: the plane of the two directions along which the training means vary most.
- ``"lda"``: the plane that best separates the classes (Fisher's linear discriminants).
- ``"dims"``: two latent coordinates themselves (by default the two that carry the most
  information, i.e. the largest average KL to the prior), the others held at an anchor.
- ``"neighbors"``: a non-linear map that keeps each training mean near its neighbours
  (UMAP); new points are placed, and plane points mapped back, by interpolating the nearest
  fitted training means.

For the linear views a plane point maps back to the *most likely* latent vector that
projects onto it: the conditional mean of a Gaussian fitted to the training means, which for
a point on the plane of the data is where the data are, not a pseudo-inverse through the
origin.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from vaedesk.errors import LatentError
from vaedesk.support.arrays import as_float_array, check_finite

if TYPE_CHECKING:
    from vaedesk.model.model import Model

__all__ = ["VIEW_KINDS", "LatentView", "LinearView", "NeighbourView", "fit_view"]

VIEW_KINDS = ("pca", "lda", "dims", "neighbors")
VIEW_NAMES = {"pca": "principal components", "lda": "class-separating (LDA)", "dims": "two latent dimensions",
              "neighbors": "neighbourhoods (UMAP)"}
# Training means a neighbourhood map is fitted on at most: the map of 12,000 keeps the
# clusters of 60,000 and fits in seconds rather than minutes. VAEDESK_NEIGHBOUR_POINTS sets
# another number (a quicker, rougher map; the tests' windows use it, whose model process
# does not share the test's memory).
NEIGHBOUR_FIT_POINTS = 12_000
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
        return self.kind in ("pca", "dims")

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
    places, and a plane point maps back the same way."""

    kind = "neighbors"

    def __init__(self, fitted_latents: ArrayLike, fitted_plane: ArrayLike, k: int = NEIGHBOURS_PLACING) -> None:
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
        for array in (self.fitted_latents, self.fitted_plane):
            array.setflags(write=False)
        self._search: dict[str, Any] = {}  # torch copies of the fitted points, made on first use

    def _interpolate(self, queries: np.ndarray, source: str, target: np.ndarray) -> np.ndarray:
        """Inverse-distance average of ``target`` over the k nearest of the fitted points named
        ``source`` ("latents" or "plane")."""
        import torch

        if source not in self._search:  # once, not per drawing: torch wants writable memory
            self._search[source] = torch.from_numpy(getattr(self, f"fitted_{source}").copy())
        ref = self._search[source]
        single = queries.ndim == 1
        q = torch.from_numpy(np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32))
        out = np.empty((len(q), target.shape[1]), dtype=np.float64)
        for start in range(0, len(q), 1024):  # 1,024 queries x 12,000 distances: 48 MB
            # Exact differences, not |x|² + |y|² - 2xy: a fitted point must find itself at 0.
            distance, index = torch.cdist(q[start : start + 1024], ref, compute_mode="donot_use_mm_for_euclid_dist"
                                          ).topk(self.k, largest=False)
            weight = 1.0 / (distance.double().numpy() + 1e-9)
            weight /= weight.sum(1, keepdims=True)
            out[start : start + 1024] = np.einsum("nk,nkc->nc", weight, target[index.numpy()])
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


def _neighbours(data: np.ndarray, seed: int, cached: Callable[..., np.ndarray] | None = None) -> NeighbourView:
    """UMAP of (at most NEIGHBOUR_FIT_POINTS of) the means; ``cached(tag, shape, compute)``
    keeps the fitted plane on disk when the means are a model's training set."""
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(data), min(len(data), _neighbour_fit_points()), replace=False))
    fitted = data[chosen].astype(np.float32)

    def fit() -> np.ndarray:
        try:
            import umap  # heavy (numba): only when this view is asked for
        except ImportError:
            raise LatentError("the neighbourhood view needs the umap-learn package (pip install umap-learn)") from None
        reducer = umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=seed, n_jobs=1)
        return reducer.fit_transform(fitted).astype(np.float32)

    plane = fit() if cached is None else cached(f"neighbours-v1-seed{seed}-{len(fitted)}", (len(fitted), 2), fit)
    return NeighbourView(fitted, plane)


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
    cached = None
    if data is None:
        from vaedesk.data.datasets import model_split
        from vaedesk.model.encodings import cached_array, cached_means

        train = model_split(model.card, "train", as_uint8=True)
        data, labels = cached_means(model, train.images), train.labels

        def cached(tag: str, shape: tuple[int, ...], compute: Callable[[], np.ndarray]) -> np.ndarray:
            return cached_array(model, train.images, tag, shape, compute)  # type: ignore[arg-type]

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
    return _neighbours(points, seed, cached)


# ------------------------------------------------------------------------------ arithmetic
