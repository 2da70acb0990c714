"""Projections of a D-dimensional latent space onto the 2-D plane the app draws.

A :class:`Projection` maps latent vectors to plane coordinates and plane points back to
latent vectors, so every point of the plane (hover, pins, the manifold) decodes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from vaedesk.errors import LatentError
from vaedesk.support.arrays import as_count, as_float_array, as_vector, check_dim, check_finite
from vaedesk.support.limits import LATENT_DIM_LIMIT

__all__ = ["Projection"]

# Tolerance for checking that stored components are orthonormal.
_ORTHO_TOL = 1e-6


class Projection:
    """A 2-D affine view of a D-dimensional latent space.

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

    origin: np.ndarray
    components: np.ndarray
    axis_labels: tuple[str, str]
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
        self.axis_labels = (labels[0], labels[1])
        self.explained_variance_ratio = ratio

    @property
    def dim(self) -> int:
        """The latent dimension D."""
        return int(self.components.shape[1])

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

    def _check_latent(self, z: ArrayLike) -> np.ndarray:
        array = as_float_array(z, "latent vectors")
        if array.ndim not in (1, 2) or array.shape[-1] != self.dim:
            raise LatentError(
                f"latent vectors must have shape (N, {self.dim}), got {array.shape}"
            )
        check_finite(array, "latent vectors")
        return array

    def to_plane(self, z: ArrayLike) -> np.ndarray:
        """Project latent vectors (N, D) onto the plane → (N, 2). A single (D,) → (2,)."""
        array = self._check_latent(z)
        return (array - self.origin) @ self.components.T

    def to_latent(self, xy: ArrayLike) -> np.ndarray:
        """Map plane points (N, 2) to latent vectors (N, D). A single (2,) → (D,)."""
        array = as_float_array(xy, "plane points")
        if array.ndim not in (1, 2) or array.shape[-1] != 2:
            raise LatentError(f"plane points must have shape (N, 2), got {array.shape}")
        check_finite(array, "plane points")
        return self.origin + array @ self.components

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
