"""Latent-space maths: easing, paths through latent points, 2-D views, grids and ellipses.

Everything here is plain NumPy and works for any latent dimension ``D``. Every problem a
caller can cause (a NaN, a ragged list, too few frames, an unknown name) raises
:class:`~vaedesk.errors.LatentError` with a one-line message naming the problem.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .errors import LatentError
from .limits import FRAMES_LIMIT, LATENT_DIM_LIMIT, LATENT_LIMIT

__all__ = [
    "EASINGS",
    "METHODS",
    "Plane",
    "covariance_ellipse",
    "ease",
    "ellipse_axes",
    "grid",
    "interpolate_path",
    "parse_point",
    "sigma_ellipse",
    "tile",
]

# A path visits at most this many points; each is a segment with its own arc-length table.
MAX_WAYPOINTS = 1000
# A grid is at most this many cells a side (16,384 decodes; the app shows 20 x 20).
MAX_GRID_SIDE = 128
# An ellipse polygon has at most this many vertices (the app draws 64).
MAX_ELLIPSE_VERTICES = 10_000


# --------------------------------------------------------------------------------------
# Easing


def _linear(t: np.ndarray) -> np.ndarray:
    return t.copy()


def _smoothstep(t: np.ndarray) -> np.ndarray:
    # 3t² − 2t³: zero slope at both ends, symmetric about t = 0.5, exact at 0 and 1.
    return t * t * (3.0 - 2.0 * t)


def _ease_in(t: np.ndarray) -> np.ndarray:
    return t * t


def _ease_out(t: np.ndarray) -> np.ndarray:
    return t * (2.0 - t)


EASINGS: Mapping[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": _linear,
    "ease-in-out": _smoothstep,
    "ease-in": _ease_in,
    "ease-out": _ease_out,
}
"""Easing functions by name. Each maps t ∈ [0, 1] onto [0, 1] monotonically with f(0) = 0
and f(1) = 1 exactly, and works element-wise on float arrays."""

METHODS: tuple[str, ...] = ("linear", "spherical")
"""Interpolation methods accepted by :func:`interpolate_path`."""


def _check_easing(name: str) -> Callable[[np.ndarray], np.ndarray]:
    try:
        return EASINGS[name]
    except (KeyError, TypeError):
        valid = ", ".join(EASINGS)
        raise LatentError(f"unknown easing {name!r}; valid easings are: {valid}") from None


def ease(t: ArrayLike, name: str) -> np.ndarray:
    """Apply the easing ``name`` to ``t`` element-wise.

    ``t`` may be a number or an array; values are clipped to [0, 1] first so a caller's
    rounding error cannot push a frame off the path. Returns a float array of ``t``'s
    shape (0-d for a number). Raises :class:`LatentError` for an unknown name.
    """
    func = _check_easing(name)
    try:
        values = np.asarray(t, dtype=np.float64)
    except (TypeError, ValueError):
        raise LatentError("easing parameter t must be a number or an array of numbers") from None
    return func(np.clip(values, 0.0, 1.0))


# --------------------------------------------------------------------------------------
# Validation helpers


def _as_float_array(value: ArrayLike, what: str) -> np.ndarray:
    """Convert to a float64 array, turning NumPy's complaints into a LatentError."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        # Ragged nested lists and non-numeric entries both end up here.
        raise LatentError(f"{what} must be a rectangular array of numbers") from None
    return array


def _check_finite(array: np.ndarray, what: str) -> None:
    if not np.all(np.isfinite(array)):
        raise LatentError(f"{what} contains NaN or infinite values")


def _check_latent_range(array: np.ndarray) -> None:
    """Refuse coordinates beyond ±LATENT_LIMIT, where no decoder gives a picture."""
    if array.size and float(np.abs(array).max()) > LATENT_LIMIT:
        worst = array.flat[np.abs(array).argmax()]
        raise LatentError(f"latent coordinates must lie within ±{LATENT_LIMIT:g}, got {worst:g}")


def _check_dim(dim: int, what: str) -> None:
    if dim > LATENT_DIM_LIMIT:
        raise LatentError(f"{what} must have at most {LATENT_DIM_LIMIT} dimensions, got {dim}")


def _cut(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters: an error message stays one short line."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _shown(value: Any, limit: int = 60) -> str:
    return _cut(repr(value), limit)


def _as_count(value: Any, what: str, minimum: int, maximum: int | None = None) -> int:
    """An integer in [minimum, maximum]; bools and floats are refused to catch caller mistakes."""
    if isinstance(value, bool):
        raise LatentError(f"{what} must be an integer, got {value!r}")
    try:
        count = operator.index(value)
    except TypeError:
        raise LatentError(f"{what} must be an integer, got {_shown(value)}") from None
    if count < minimum:
        raise LatentError(f"{what} must be at least {minimum}, got {count}")
    if maximum is not None and count > maximum:
        raise LatentError(f"{what} must be at most {maximum}, got {count}")
    return count


def _as_real(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise LatentError(f"{what} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise LatentError(f"{what} must be a number, got {_shown(value)}") from None
    if not math.isfinite(number):
        raise LatentError(f"{what} must be finite, got {_shown(value)}")
    return number


def _as_vector(value: ArrayLike, what: str, length: int | None = None) -> np.ndarray:
    array = _as_float_array(value, what)
    if array.ndim != 1 or (length is not None and array.shape[0] != length):
        want = f"({length},)" if length is not None else "a 1-D array"
        raise LatentError(f"{what} must have shape {want}, got {array.shape}")
    _check_finite(array, what)
    return array


# --------------------------------------------------------------------------------------
# Paths

# Samples per spherical segment used to measure (and invert) its arc length; the chord
# sum converges quadratically, so 256 chords are far below a pixel's worth of error.
_ARC_SAMPLES = 256
# Below this sine of the angle between two points slerp is ill-conditioned
# ((anti)parallel vectors), so the segment is interpolated linearly instead.
_PARALLEL_SIN = 1e-6


class _Segment:
    """One piece of a path from ``a`` to ``b``, parametrised by u ∈ [0, 1]."""

    def __init__(self, a: np.ndarray, b: np.ndarray, spherical: bool) -> None:
        self.a = a
        self.b = b
        self.slerp = False
        norm_a = float(np.linalg.norm(a))
        norm_b = float(np.linalg.norm(b))
        if spherical and norm_a > 0.0 and norm_b > 0.0:
            unit_a = a / norm_a
            unit_b = b / norm_b
            cos_omega = float(np.clip(unit_a @ unit_b, -1.0, 1.0))
            omega = math.acos(cos_omega)
            if math.sin(omega) > _PARALLEL_SIN:
                self.slerp = True
                self.norm_a, self.norm_b = norm_a, norm_b
                self.unit_a, self.unit_b = unit_a, unit_b
                self.omega = omega
        if self.slerp:
            # Tabulate cumulative arc length against u so it can be inverted by lookup.
            self.u_table = np.linspace(0.0, 1.0, _ARC_SAMPLES + 1)
            samples = self._evaluate(self.u_table)
            chords = np.linalg.norm(np.diff(samples, axis=0), axis=1)
            self.s_table = np.concatenate([[0.0], np.cumsum(chords)])
            self.length = float(self.s_table[-1])
        else:
            self.length = float(np.linalg.norm(b - a))

    def _evaluate(self, u: np.ndarray) -> np.ndarray:
        """Points at parameters ``u`` (K,) → (K, D); exact at u = 0 and u = 1."""
        col = u[:, None]
        if self.slerp:
            sin_omega = math.sin(self.omega)
            direction = (
                np.sin((1.0 - col) * self.omega) / sin_omega * self.unit_a
                + np.sin(col * self.omega) / sin_omega * self.unit_b
            )
            radius = (1.0 - col) * self.norm_a + col * self.norm_b
            points = radius * direction
        else:
            # (1−u)a + ub rather than a + u(b−a): exact at both ends.
            points = (1.0 - col) * self.a + col * self.b
        # Waypoints must be hit bit-for-bit, which the trigonometry cannot promise.
        points[u <= 0.0] = self.a
        points[u >= 1.0] = self.b
        return points

    def at_distance(self, s: np.ndarray) -> np.ndarray:
        """Points at arc-length distances ``s`` (K,) from ``a`` along this segment."""
        if self.length <= 0.0:
            return np.repeat(self.a[None, :], len(s), axis=0)
        if self.slerp:
            u = np.interp(s, self.s_table, self.u_table)
        else:
            u = np.clip(s / self.length, 0.0, 1.0)
        return self._evaluate(u)


def _check_points(points: ArrayLike) -> np.ndarray:
    array = _as_float_array(points, "latent points")
    if array.ndim != 2:
        raise LatentError(
            f"latent points must be a 2-D array (points × dimensions), got shape {array.shape}"
        )
    if array.shape[0] < 2:
        raise LatentError(f"a path needs at least 2 latent points, got {array.shape[0]}")
    if array.shape[0] > MAX_WAYPOINTS:
        raise LatentError(f"a path has at most {MAX_WAYPOINTS} latent points, got {array.shape[0]}")
    if array.shape[1] < 1:
        raise LatentError("latent points must have at least one dimension")
    _check_dim(array.shape[1], "latent points")
    _check_finite(array, "latent points")
    _check_latent_range(array)
    return array


def interpolate_path(
    points: ArrayLike,
    n_frames: int,
    method: str = "linear",
    easing: str = "linear",
) -> np.ndarray:
    """Sample ``n_frames`` latent vectors along a path through ``points``.

    ``points`` is an (M, D) array with M ≥ 2. The path visits the points in order; each
    segment is a straight line (``method="linear"``) or a spherical interpolation
    (``method="spherical"``: the direction turns at constant rate around the origin while
    the norm changes linearly; segments whose end points are (anti)parallel or zero fall
    back to a straight line).

    Frames are spaced evenly by arc length along the whole path, so a long segment gets
    proportionally more frames than a short one; for spherical segments the arc length is
    measured numerically along the actual curve. The easing is applied to the global
    path parameter (fraction of total length), so it slows the start and/or end of the
    whole path rather than of each segment. The first frame equals ``points[0]`` and the
    last ``points[-1]`` exactly; the path passes through every waypoint, and a frame whose
    parameter lands exactly on one equals it exactly. Zero-length segments (repeated
    points) are allowed and get no frames of their own.

    Returns a float64 array of shape (n_frames, D). Raises :class:`LatentError` for fewer
    than 2 or more than :data:`MAX_WAYPOINTS` points, more than ``LATENT_DIM_LIMIT``
    dimensions, ``n_frames`` outside 2..``FRAMES_LIMIT``, coordinates beyond
    ±``LATENT_LIMIT`` (:mod:`vaedesk.limits`), NaN/inf, ragged or non-2-D input, or an
    unknown method or easing.
    """
    array = _check_points(points)
    frames = _as_count(n_frames, "n_frames", 2, FRAMES_LIMIT)
    if method not in METHODS:
        raise LatentError(f"unknown interpolation method {method!r}; valid methods are: "
                          + ", ".join(METHODS))
    easing_func = _check_easing(easing)

    segments = [_Segment(a, b, method == "spherical") for a, b in zip(array[:-1], array[1:])]
    starts = np.concatenate([[0.0], np.cumsum([seg.length for seg in segments])])
    total = float(starts[-1])

    out = np.empty((frames, array.shape[1]), dtype=np.float64)
    if total > 0.0:
        t = np.linspace(0.0, 1.0, frames)
        s = easing_func(t) * total
        # side="left": a distance that equals a segment's end belongs to that segment
        # (u = 1), so frames landing on waypoints reproduce them exactly.
        index = np.searchsorted(starts[1:], s, side="left")
        index = np.clip(index, 0, len(segments) - 1)
        for k, seg in enumerate(segments):
            mask = index == k
            if np.any(mask):
                out[mask] = seg.at_distance(s[mask] - starts[k])
    else:
        out[:] = array[0]  # every point coincides: the path is a single point
    out[0] = array[0]
    out[-1] = array[-1]
    return out


# --------------------------------------------------------------------------------------
# Parsing


def parse_point(text: str, dim: int) -> np.ndarray:
    """Parse ``"0.5, -1.2"`` into a float64 array of length ``dim``.

    Whitespace around numbers is ignored and one pair of enclosing brackets, ``(…)`` or
    ``[…]``, is allowed. Raises :class:`LatentError` for the wrong number of values,
    something that is not a number, NaN/inf, or coordinates beyond ±``LATENT_LIMIT``.
    """
    dim = _as_count(dim, "latent dimension", 1, LATENT_DIM_LIMIT)
    if not isinstance(text, str):
        raise LatentError(f"a latent point must be given as text, got {type(text).__name__}")
    body = text.strip()
    if len(body) >= 2 and (body[0], body[-1]) in {("(", ")"), ("[", "]")}:
        body = body[1:-1]
    # Counted before splitting, so a huge text is refused without a list of its parts.
    count = body.count(",") + 1 if body.strip() else 0
    if count != dim:
        plural = "number" if dim == 1 else "comma-separated numbers"
        raise LatentError(f"expected {dim} {plural}, got {_shown(text)}")
    values = np.empty(dim, dtype=np.float64)
    for i, part in enumerate(part.strip() for part in body.split(",")):
        try:
            values[i] = float(part)
        except ValueError:
            raise LatentError(f"{_cut(text.strip())}: not a latent point (coordinate {i + 1} is not a "
                              f"number: {_shown(part, 24)}; expected numbers like 0.5,-1.2)") from None
        if not math.isfinite(values[i]):
            raise LatentError(f"coordinate {i + 1} must be finite, got {_shown(part, 24)}")
    _check_latent_range(values)
    return values


# --------------------------------------------------------------------------------------
# 2-D views of the latent space

# Tolerance for checking that stored components are orthonormal.
_ORTHO_TOL = 1e-6


class Plane:
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
        comps = _as_float_array(components, "plane components")
        if comps.ndim != 2 or comps.shape[0] != 2 or comps.shape[1] < 2:
            raise LatentError(f"plane components must have shape (2, D) with D ≥ 2, got {comps.shape}")
        _check_dim(comps.shape[1], "plane components")
        _check_finite(comps, "plane components")
        if not np.allclose(comps @ comps.T, np.eye(2), atol=_ORTHO_TOL):
            raise LatentError("plane components must be two orthonormal vectors")
        dim = comps.shape[1]
        orig = _as_vector(origin, "plane origin", dim)
        ratio = _as_float_array(explained_variance_ratio, "explained variance ratio")
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
        return f"Plane(dim={self.dim}, axis_labels={self.axis_labels!r})"

    @classmethod
    def identity(cls, dim: int) -> Plane:
        """The plane of the first two latent axes through the origin, labelled z1, z2.

        For ``dim == 2`` this is the whole latent space and both maps are exact
        identities. Raises :class:`LatentError` for ``dim < 2``.
        """
        dim = _as_count(dim, "latent dimension for a plane", 2, LATENT_DIM_LIMIT)
        components = np.zeros((2, dim))
        components[0, 0] = components[1, 1] = 1.0
        return cls(np.zeros(dim), components, ("z1", "z2"), [math.nan, math.nan])

    @classmethod
    def fit(cls, means: ArrayLike) -> Plane:
        """Choose a plane for showing the latent means ``(N, D)``.

        D == 2: the identity plane (z1, z2); its variance ratios are the per-axis shares
        of the means' variance when N ≥ 2 and it is non-zero, else NaN.
        D > 2: principal component analysis. The origin is the mean of the means, the
        components the top two principal directions, labelled ``"PC1 (23% var)"`` and
        ``"PC2 (…)"``. Each component's sign is fixed so that its largest-magnitude
        entry is positive, making the result deterministic. Needs N ≥ 2 means with
        non-zero spread.
        """
        data = _as_float_array(means, "latent means")
        if data.ndim != 2 or data.shape[0] < 1:
            raise LatentError(f"latent means must have shape (N, D) with N ≥ 1, got {data.shape}")
        _check_finite(data, "latent means")
        n, dim = data.shape
        _check_dim(dim, "latent means")
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
        array = _as_float_array(z, "latent vectors")
        if array.ndim not in (1, 2) or array.shape[-1] != self.dim:
            raise LatentError(
                f"latent vectors must have shape (N, {self.dim}), got {array.shape}"
            )
        _check_finite(array, "latent vectors")
        return array

    def to_2d(self, z: ArrayLike) -> np.ndarray:
        """Project latent vectors (N, D) onto the plane → (N, 2). A single (D,) → (2,)."""
        array = self._check_latent(z)
        return (array - self.origin) @ self.components.T

    def to_latent(self, xy: ArrayLike) -> np.ndarray:
        """Map plane points (N, 2) to latent vectors (N, D). A single (2,) → (D,)."""
        array = _as_float_array(xy, "plane points")
        if array.ndim not in (1, 2) or array.shape[-1] != 2:
            raise LatentError(f"plane points must have shape (N, 2), got {array.shape}")
        _check_finite(array, "plane points")
        return self.origin + array @ self.components

    def project_covariance(self, var: ArrayLike) -> np.ndarray:
        """Covariance (2, 2) on the plane of a diagonal Gaussian with variances ``var`` (D,).

        Computes C · diag(var) · Cᵀ with C the (2, D) components, for drawing posterior
        ellipses with :func:`covariance_ellipse`.
        """
        variances = _as_vector(var, "variances", self.dim)
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
    def from_dict(cls, data: Mapping[str, Any]) -> Plane:
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


# --------------------------------------------------------------------------------------
# Grids


def _check_range(value: Any, what: str) -> tuple[float, float]:
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise LatentError(f"{what} must be a (low, high) pair") from None
    lo_f, hi_f = _as_real(lo, f"{what} low"), _as_real(hi, f"{what} high")
    if not lo_f < hi_f:
        raise LatentError(f"{what} must have low < high, got ({lo_f:g}, {hi_f:g})")
    if not math.isfinite(hi_f - lo_f):  # e.g. (-1e308, 1e308): its cells would be inf wide
        raise LatentError(f"{what} is too wide, got ({lo_f:g}, {hi_f:g})")
    return lo_f, hi_f


def grid(x_range: tuple[float, float], y_range: tuple[float, float], n: int) -> np.ndarray:
    """Centres of an n × n grid of equal cells covering the rectangle → (n·n, 2).

    Order is row-major as an image is read: row 0 is the **top** row (largest y), and
    within a row x increases left to right. Point ``r * n + c`` is the centre of the cell
    in row r, column c. Decoding the points in this order and passing the images to
    :func:`tile` therefore gives a picture with x to the right and y up.
    """
    x_lo, x_hi = _check_range(x_range, "x range")
    y_lo, y_hi = _check_range(y_range, "y range")
    n = _as_count(n, "grid size", 1, MAX_GRID_SIDE)
    offsets = (np.arange(n) + 0.5) / n
    xs = x_lo + offsets * (x_hi - x_lo)
    ys = y_hi - offsets * (y_hi - y_lo)  # descending: top row first
    gx, gy = np.meshgrid(xs, ys)  # gx varies along columns, gy along rows
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def tile(images: ArrayLike, n: int) -> np.ndarray:
    """Arrange n·n images (n·n, h, w), in :func:`grid` order, into one (n·h, n·w) image."""
    n = _as_count(n, "grid size", 1, MAX_GRID_SIDE)
    array = np.asarray(images)
    if array.ndim != 3 or array.shape[0] != n * n:
        raise LatentError(f"tile needs {n * n} images of shape (h, w), got array of shape {array.shape}")
    _, h, w = array.shape
    # (row, col, h, w) → (row, h, col, w) so pixel rows of one grid row are contiguous.
    return array.reshape(n, n, h, w).transpose(0, 2, 1, 3).reshape(n * h, n * w)


# --------------------------------------------------------------------------------------
# Ellipses


def _ellipse_angles(n: int) -> np.ndarray:
    n = _as_count(n, "ellipse vertex count", 3, MAX_ELLIPSE_VERTICES)
    return np.linspace(0.0, 2.0 * math.pi, n + 1)


def _close(polygon: np.ndarray) -> np.ndarray:
    polygon[-1] = polygon[0]  # closed exactly, not just to rounding
    return polygon


def sigma_ellipse(mean: ArrayLike, std: ArrayLike, k: float, n: int = 64) -> np.ndarray:
    """Closed polygon (n + 1, 2) of the k-σ ellipse of an axis-aligned 2-D Gaussian.

    Semi-axes are ``k * std[0]`` along x and ``k * std[1]`` along y; vertex 0 is at angle
    0 (on the +x semi-axis) and the last vertex repeats the first.
    """
    centre = _as_vector(mean, "ellipse mean", 2)
    sd = _as_vector(std, "ellipse standard deviations", 2)
    if np.any(sd < 0.0):
        raise LatentError("standard deviations must not be negative")
    scale = _as_real(k, "k")
    if scale < 0.0:
        raise LatentError(f"k must not be negative, got {scale:g}")
    theta = _ellipse_angles(n)
    unit = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    return _close(centre + unit * (scale * sd))


def covariance_ellipse(mean: ArrayLike, cov: ArrayLike, k: float, n: int = 64) -> np.ndarray:
    """Closed polygon (n + 1, 2) of the k-σ ellipse of a 2-D Gaussian with covariance ``cov``.

    The semi-axes point along the eigenvectors of ``cov`` with lengths k·√eigenvalue.
    ``cov`` must be a symmetric positive semi-definite 2 × 2 matrix (tiny negative
    eigenvalues from rounding are treated as zero).
    """
    centre = _as_vector(mean, "ellipse mean", 2)
    theta = _ellipse_angles(n)
    unit = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    return _close(centre + unit @ ellipse_axes(cov, k).T)


def ellipse_axes(cov: ArrayLike, k: float) -> np.ndarray:
    """The 2 × 2 matrix A mapping the unit circle onto the k-σ ellipse of covariance ``cov``
    (centred at 0): its columns are the semi-axes, eigenvectors scaled by k·√eigenvalue."""
    matrix = _as_float_array(cov, "covariance")
    if matrix.shape != (2, 2):
        raise LatentError(f"covariance must have shape (2, 2), got {matrix.shape}")
    _check_finite(matrix, "covariance")
    scale_ref = max(float(np.abs(matrix).max()), 1e-300)
    if abs(matrix[0, 1] - matrix[1, 0]) > 1e-9 * scale_ref:
        raise LatentError("covariance must be symmetric")
    scale = _as_real(k, "k")
    if scale < 0.0:
        raise LatentError(f"k must not be negative, got {scale:g}")
    eigvals, eigvecs = np.linalg.eigh((matrix + matrix.T) / 2.0)
    if eigvals.min() < -1e-9 * scale_ref:
        raise LatentError("covariance must be positive semi-definite")
    radii = scale * np.sqrt(np.clip(eigvals, 0.0, None))
    return eigvecs * radii
