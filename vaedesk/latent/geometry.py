"""Latent-space maths: easing, paths through latent points, 2-D views, grids and ellipses.

Everything here is plain NumPy and works for any latent dimension ``D``. Every problem a
caller can cause (a NaN, a ragged list, too few frames, an unknown name) raises
:class:`~vaedesk.errors.LatentError` with a one-line message naming the problem.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from vaedesk.errors import LatentError
from vaedesk.support.arrays import (
    as_count,
    as_float_array,
    as_real,
    as_vector,
    check_dim,
    check_finite,
    check_latent_range,
    cut,
    shown,
)
from vaedesk.support.limits import FRAMES_LIMIT, LATENT_DIM_LIMIT, LATENT_LIMIT

__all__ = [
    "EASINGS",
    "METHODS",
    "covariance_ellipse",
    "density",
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
    array = as_float_array(points, "latent points")
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
    check_dim(array.shape[1], "latent points")
    check_finite(array, "latent points")
    check_latent_range(array)
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
    ±``LATENT_LIMIT`` (:mod:`vaedesk.support.limits`), NaN/inf, ragged or non-2-D input, or an
    unknown method or easing.
    """
    array = _check_points(points)
    frames = as_count(n_frames, "n_frames", 2, FRAMES_LIMIT)
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
    # A spherical segment between points inside the latent range can bulge past one of its
    # coordinates' bounds (it follows the norm, not the box): keep every frame decodable.
    np.clip(out, -LATENT_LIMIT, LATENT_LIMIT, out=out)
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
    dim = as_count(dim, "latent dimension", 1, LATENT_DIM_LIMIT)
    if not isinstance(text, str):
        raise LatentError(f"a latent point must be given as text, got {type(text).__name__}")
    body = text.strip()
    if len(body) >= 2 and (body[0], body[-1]) in {("(", ")"), ("[", "]")}:
        body = body[1:-1]
    # Counted before splitting, so a huge text is refused without a list of its parts.
    count = body.count(",") + 1 if body.strip() else 0
    if count != dim:
        plural = "number" if dim == 1 else "comma-separated numbers"
        raise LatentError(f"expected {dim} {plural}, got {shown(text)}")
    values = np.empty(dim, dtype=np.float64)
    for i, part in enumerate(part.strip() for part in body.split(",")):
        try:
            values[i] = float(part)
        except ValueError:
            raise LatentError(f"{cut(text.strip())}: not a latent point (coordinate {i + 1} is not a "
                              f"number: {shown(part, 24)}; expected numbers like 0.5,-1.2)") from None
        if not math.isfinite(values[i]):
            raise LatentError(f"coordinate {i + 1} must be finite, got {shown(part, 24)}")
    check_latent_range(values)
    return values


# --------------------------------------------------------------------------------------
# Grids


def _check_range(value: Any, what: str) -> tuple[float, float]:
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise LatentError(f"{what} must be a (low, high) pair") from None
    lo_f, hi_f = as_real(lo, f"{what} low"), as_real(hi, f"{what} high")
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
    n = as_count(n, "grid size", 1, MAX_GRID_SIDE)
    offsets = (np.arange(n) + 0.5) / n
    xs = x_lo + offsets * (x_hi - x_lo)
    ys = y_hi - offsets * (y_hi - y_lo)  # descending: top row first
    gx, gy = np.meshgrid(xs, ys)  # gx varies along columns, gy along rows
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def density(points: ArrayLike, extent: tuple[float, float, float, float], bins: int = 128,
            bandwidth: float | None = None) -> np.ndarray:
    """A smoothed 2-D histogram (bins, bins) of plane points over (x0, x1, y0, y1), row 0 at
    the top, integrating to 1 over the extent: how densely the points cover each region.

    ``bandwidth`` is the Gaussian smoothing's standard deviation in plane units (default:
    Scott's rule for the points' spread), so a few thousand means read as a density.
    """
    xy = as_float_array(points, "plane points")
    if xy.ndim != 2 or xy.shape[1] != 2 or len(xy) == 0:
        raise LatentError(f"plane points must have shape (N, 2) with N ≥ 1, got {xy.shape}")
    check_finite(xy, "plane points")
    x0, x1 = _check_range((extent[0], extent[1]), "x extent")
    y0, y1 = _check_range((extent[2], extent[3]), "y extent")
    bins = as_count(bins, "density bins", 2, 1024)
    if bandwidth is None:
        bandwidth = float(np.mean(xy.std(axis=0))) * len(xy) ** (-1 / 6) or 1e-3
    bandwidth = as_real(bandwidth, "bandwidth")
    counts, _, _ = np.histogram2d(xy[:, 1], xy[:, 0], bins=bins, range=[[y0, y1], [x0, x1]])
    # Separable Gaussian smoothing, in cells; rows are y (flipped below so row 0 is the top).
    sigma_x, sigma_y = bandwidth * bins / (x1 - x0), bandwidth * bins / (y1 - y0)
    for axis, sigma in ((1, sigma_x), (0, sigma_y)):
        radius = max(1, min(bins, int(np.ceil(3 * sigma))))
        kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / max(sigma, 1e-6)) ** 2)
        counts = np.apply_along_axis(np.convolve, axis, counts, kernel / kernel.sum(), "same")
    cell = (x1 - x0) * (y1 - y0) / bins**2
    total = counts.sum()
    return (counts / (total * cell) if total > 0 else counts)[::-1]


def tile(images: ArrayLike, n: int) -> np.ndarray:
    """Arrange n·n images (n·n, h, w), in :func:`grid` order, into one (n·h, n·w) image."""
    n = as_count(n, "grid size", 1, MAX_GRID_SIDE)
    array = np.asarray(images)
    if array.ndim != 3 or array.shape[0] != n * n:
        raise LatentError(f"tile needs {n * n} images of shape (h, w), got array of shape {array.shape}")
    _, h, w = array.shape
    # (row, col, h, w) → (row, h, col, w) so pixel rows of one grid row are contiguous.
    return array.reshape(n, n, h, w).transpose(0, 2, 1, 3).reshape(n * h, n * w)


# --------------------------------------------------------------------------------------
# Ellipses


def _ellipse_angles(n: int) -> np.ndarray:
    n = as_count(n, "ellipse vertex count", 3, MAX_ELLIPSE_VERTICES)
    return np.linspace(0.0, 2.0 * math.pi, n + 1)


def _close(polygon: np.ndarray) -> np.ndarray:
    polygon[-1] = polygon[0]  # closed exactly, not just to rounding
    return polygon


def sigma_ellipse(mean: ArrayLike, std: ArrayLike, k: float, n: int = 64) -> np.ndarray:
    """Closed polygon (n + 1, 2) of the k-σ ellipse of an axis-aligned 2-D Gaussian.

    Semi-axes are ``k * std[0]`` along x and ``k * std[1]`` along y; vertex 0 is at angle
    0 (on the +x semi-axis) and the last vertex repeats the first.
    """
    centre = as_vector(mean, "ellipse mean", 2)
    sd = as_vector(std, "ellipse standard deviations", 2)
    if np.any(sd < 0.0):
        raise LatentError("standard deviations must not be negative")
    scale = as_real(k, "k")
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
    centre = as_vector(mean, "ellipse mean", 2)
    theta = _ellipse_angles(n)
    unit = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    return _close(centre + unit @ ellipse_axes(cov, k).T)


def ellipse_axes(cov: ArrayLike, k: float) -> np.ndarray:
    """The 2 × 2 matrix A mapping the unit circle onto the k-σ ellipse of covariance ``cov``
    (centred at 0): its columns are the semi-axes, eigenvectors scaled by k·√eigenvalue."""
    matrix = as_float_array(cov, "covariance")
    if matrix.shape != (2, 2):
        raise LatentError(f"covariance must have shape (2, 2), got {matrix.shape}")
    check_finite(matrix, "covariance")
    scale_ref = max(float(np.abs(matrix).max()), 1e-300)
    if abs(matrix[0, 1] - matrix[1, 0]) > 1e-9 * scale_ref:
        raise LatentError("covariance must be symmetric")
    scale = as_real(k, "k")
    if scale < 0.0:
        raise LatentError(f"k must not be negative, got {scale:g}")
    eigvals, eigvecs = np.linalg.eigh((matrix + matrix.T) / 2.0)
    if eigvals.min() < -1e-9 * scale_ref:
        raise LatentError("covariance must be positive semi-definite")
    radii = scale * np.sqrt(np.clip(eigvals, 0.0, None))
    return eigvecs * radii
