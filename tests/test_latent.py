"""Tests for vaedesk.latent.geometry: easing, paths, parsing, planes, grids and ellipses."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from vaedesk.errors import LatentError
from vaedesk.latent.geometry import (
    EASINGS,
    covariance_ellipse,
    ease,
    grid,
    interpolate_path,
    parse_point,
    sigma_ellipse,
    tile,
)
from vaedesk.latent.views import LatentView, Projection

# --------------------------------------------------------------------------------------
# Easing


@pytest.mark.parametrize("name", list(EASINGS))
def test_easing_endpoints_and_monotonic(name: str) -> None:
    t = np.linspace(0.0, 1.0, 101)
    out = ease(t, name)
    assert out[0] == 0.0 and out[-1] == 1.0
    assert np.all(np.diff(out) >= 0.0)


def test_easing_shapes() -> None:
    t = np.linspace(0.0, 1.0, 11)
    inout = ease(t, "ease-in-out")
    assert np.allclose(inout + inout[::-1], 1.0)  # symmetric about the middle
    assert ease(0.25, "ease-in") < 0.25 < ease(0.25, "ease-out")
    assert ease(0.5, "linear") == 0.5
    assert ease(np.array([-1.0, 2.0]), "linear").tolist() == [0.0, 1.0]  # clipped


def test_unknown_easing_lists_names() -> None:
    with pytest.raises(LatentError, match="ease-in-out"):
        ease(0.5, "bounce")


# --------------------------------------------------------------------------------------
# Paths


def test_endpoints_exact() -> None:
    pts = np.array([[0.1, -0.3, 2.0], [1.7, 0.2, -0.5], [0.3, 0.3, 0.3]])
    for method in ("linear", "spherical"):
        for easing in EASINGS:
            out = interpolate_path(pts, 17, method=method, easing=easing)
            assert out.shape == (17, 3)
            assert np.array_equal(out[0], pts[0])
            assert np.array_equal(out[-1], pts[-1])


def test_waypoints_hit_exactly_when_frames_land_on_them() -> None:
    pts = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 3.0]])  # lengths 1 and 3
    out = interpolate_path(pts, 9)  # spacing 0.5, the corner is frame 2
    assert np.array_equal(out[2], pts[1])
    # Every consecutive distance equals the arc-length spacing, across the corner too.
    assert np.allclose(np.linalg.norm(np.diff(out, axis=0), axis=1), 0.5)


def test_path_passes_through_waypoints() -> None:
    pts = np.array([[0.0, 0.0], [2.0, 1.0], [-1.0, 3.0], [0.5, -2.0]])
    for method in ("linear", "spherical"):
        out = interpolate_path(pts, 2001, method=method)
        for p in pts:
            assert np.min(np.linalg.norm(out - p, axis=1)) < 0.01


def test_even_spacing_across_segments_of_different_length() -> None:
    pts = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0], [5.0, 0.5]])  # lengths 1, 4, 0.5
    out = interpolate_path(pts, 12)  # spacing 0.5: lands on every corner
    steps = np.linalg.norm(np.diff(out, axis=0), axis=1)
    assert np.allclose(steps, 0.5)
    # Frame counts follow segment lengths: 2 frames past the first corner, 8 more by 5.
    assert np.array_equal(out[2], pts[1]) and np.array_equal(out[10], pts[2])


def test_even_spacing_with_corner_between_frames() -> None:
    pts = np.array([[0.0, 0.0], [3.0, 0.0], [3.0, 1.0]])
    out = interpolate_path(pts, 50)
    # Arc-length position of each frame along the L-shaped path.
    s = np.where(out[:, 1] == 0.0, out[:, 0], 3.0 + out[:, 1])
    assert np.allclose(np.diff(s), 4.0 / 49)


def test_easing_changes_spacing_keeps_progress() -> None:
    pts = np.array([[0.0, 0.0], [4.0, 0.0]])
    linear = interpolate_path(pts, 21)
    eased = interpolate_path(pts, 21, easing="ease-in-out")
    assert np.array_equal(eased[0], pts[0]) and np.array_equal(eased[-1], pts[-1])
    assert np.all(np.diff(eased[:, 0]) >= 0.0)
    steps = np.diff(eased[:, 0])
    assert steps[0] < steps[10] and steps[-1] < steps[10]  # slow, fast, slow
    assert not np.allclose(linear, eased)
    ein = interpolate_path(pts, 21, easing="ease-in")
    assert np.all(ein[1:-1, 0] < linear[1:-1, 0])
    eout = interpolate_path(pts, 21, easing="ease-out")
    assert np.all(eout[1:-1, 0] > linear[1:-1, 0])


def test_spherical_norms_and_difference_from_linear() -> None:
    a, b = np.array([2.0, 0.0, 0.0]), np.array([0.0, 2.0, 0.0])
    sph = interpolate_path([a, b], 11, method="spherical")
    lin = interpolate_path([a, b], 11, method="linear")
    assert np.allclose(np.linalg.norm(sph, axis=1), 2.0)  # stays on the sphere
    assert np.min(np.linalg.norm(lin, axis=1)) < 1.5  # the chord cuts inside
    assert not np.allclose(sph, lin)
    # Equal arcs on a circle: equal chords.
    steps = np.linalg.norm(np.diff(sph, axis=0), axis=1)
    assert np.allclose(steps, steps[0], rtol=1e-3)


def test_spherical_norm_interpolates_monotonically() -> None:
    a, b = np.array([1.0, 0.0]), np.array([0.0, 3.0])
    out = interpolate_path([a, b], 30, method="spherical")
    norms = np.linalg.norm(out, axis=1)
    assert np.all(np.diff(norms) > 0.0)
    assert norms[0] == pytest.approx(1.0) and norms[-1] == pytest.approx(3.0)
    # Angle progresses monotonically too.
    angles = np.arctan2(out[:, 1], out[:, 0])
    assert np.all(np.diff(angles) > 0.0)


def test_spherical_even_arc_length_multi_segment() -> None:
    # Three points on the unit circle: arcs of 30° and 120°, one smooth curve, so equal
    # arc-length steps mean equal chords and 4× as many frames on the longer arc.
    angles = np.radians([0.0, 30.0, 150.0])
    pts = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    out = interpolate_path(pts, 21, method="spherical")
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0)
    steps = np.linalg.norm(np.diff(out, axis=0), axis=1)
    assert np.allclose(steps, steps[0], rtol=1e-4)
    assert np.allclose(out[4], pts[1])  # 4 of 20 steps on the 30° arc


def test_spherical_spiral_spacing() -> None:
    # The second segment's norm grows 1 → 3 while turning: speed varies with the slerp
    # parameter, but frames must still be evenly spaced along the curve.
    pts = np.array([[1.0, 0.0], [0.0, 1.0], [-3.0, 0.0]])
    out = interpolate_path(pts, 200, method="spherical")
    angles = np.unwrap(np.arctan2(out[:, 1], out[:, 0]))
    second = out[angles > math.pi / 2 + 1e-9]
    steps = np.linalg.norm(np.diff(second, axis=0), axis=1)
    assert steps.max() / steps.min() < 1.001


@pytest.mark.parametrize(
    "pts",
    [
        [[1.0, 1.0], [2.0, 2.0]],  # parallel
        [[1.0, 1.0], [-2.0, -2.0]],  # antiparallel
        [[0.0, 0.0], [1.0, 2.0]],  # zero vector
    ],
)
def test_spherical_falls_back_to_linear(pts: list[list[float]]) -> None:
    sph = interpolate_path(pts, 9, method="spherical")
    lin = interpolate_path(pts, 9, method="linear")
    assert np.allclose(sph, lin)
    assert np.all(np.isfinite(sph))


@pytest.mark.parametrize("method", ["linear", "spherical"])
def test_zero_length_segments(method: str) -> None:
    pts = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [-1.0, 0.0]])
    out = interpolate_path(pts, 15, method=method)
    assert np.all(np.isfinite(out))
    assert np.array_equal(out[0], pts[0]) and np.array_equal(out[-1], pts[-1])
    assert np.min(np.linalg.norm(out - [0.0, 1.0], axis=1)) < 1e-9  # middle waypoint hit
    same = interpolate_path([[0.5, 0.5]] * 3, 4, method=method)
    assert np.array_equal(same, np.full((4, 2), 0.5))


def test_many_dimensions_and_two_frames() -> None:
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(4, 32))
    out = interpolate_path(pts, 2, method="spherical")
    assert np.array_equal(out, pts[[0, -1]])


@pytest.mark.parametrize(
    ("points", "n_frames", "kwargs", "match"),
    [
        ([[0.0, 0.0]], 5, {}, "at least 2"),
        ([], 5, {}, "2-D array"),
        ([0.0, 1.0], 5, {}, "2-D array"),
        ([[0.0, 0.0], [1.0, 1.0]], 1, {}, "at least 2"),
        ([[0.0, 0.0], [1.0, 1.0]], 2.5, {}, "integer"),
        ([[0.0, 0.0], [1.0, 1.0]], True, {}, "integer"),
        ([[0.0, np.nan], [1.0, 1.0]], 5, {}, "NaN"),
        ([[0.0, np.inf], [1.0, 1.0]], 5, {}, "NaN"),
        ([[0.0, 0.0], [1.0]], 5, {}, "rectangular"),
        ([[0.0, "a"], [1.0, 1.0]], 5, {}, "rectangular"),
        (np.zeros((2, 2, 2)), 5, {}, "2-D array"),
        ([[0.0, 0.0], [1.0, 1.0]], 5, {"method": "cubic"}, "spherical"),
        ([[0.0, 0.0], [1.0, 1.0]], 5, {"easing": "bounce"}, "easing"),
    ],
)
def test_path_errors(points: object, n_frames: object, kwargs: dict, match: str) -> None:
    with pytest.raises(LatentError, match=match):
        interpolate_path(points, n_frames, **kwargs)  # type: ignore[arg-type]


def test_latent_error_is_value_error() -> None:
    with pytest.raises(ValueError):
        interpolate_path([[0.0, 0.0]], 3)


# --------------------------------------------------------------------------------------
# parse_point


@pytest.mark.parametrize(
    ("text", "dim", "expected"),
    [
        ("0.5,-1.2", 2, [0.5, -1.2]),
        ("  0.5 , -1.2 ", 2, [0.5, -1.2]),
        ("(1, 2, 3)", 3, [1.0, 2.0, 3.0]),
        ("[1e-3,4]", 2, [0.001, 4.0]),
        ("7", 1, [7.0]),
    ],
)
def test_parse_point_ok(text: str, dim: int, expected: list[float]) -> None:
    out = parse_point(text, dim)
    assert out.dtype == np.float64 and out.tolist() == expected


@pytest.mark.parametrize(
    ("text", "dim", "match"),
    [
        ("0.5", 2, "expected 2 comma-separated numbers, got '0.5'"),
        ("", 2, "expected 2"),
        ("1,2,3", 2, "expected 2"),
        ("1,,2", 3, "coordinate 2 is not a number"),
        ("1,abc", 2, "coordinate 2 is not a number: 'abc'"),
        ("nan,1", 2, "coordinate 1 must be finite"),
        ("1,-inf", 2, "coordinate 2 must be finite"),
        ("1,2", 0, "at least 1"),
    ],
)
def test_parse_point_errors(text: str, dim: int, match: str) -> None:
    with pytest.raises(LatentError, match=match):
        parse_point(text, dim)


def test_parse_point_rejects_non_text() -> None:
    with pytest.raises(LatentError, match="text"):
        parse_point(1.5, 1)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Projection


def test_identity_plane_2d() -> None:
    rng = np.random.default_rng(1)
    means = rng.normal(size=(50, 2)) * [3.0, 1.0] + 5.0
    plane = Projection.fit(means)
    assert plane.axis_labels == ("z1", "z2")
    assert np.array_equal(plane.origin, [0.0, 0.0])
    assert np.array_equal(plane.to_plane(means), means)
    assert np.array_equal(plane.to_latent(means), means)
    assert plane.explained_variance_ratio.sum() == pytest.approx(1.0)
    assert plane.explained_variance_ratio[0] > 0.8
    assert np.array_equal(plane.project_covariance([2.0, 3.0]), np.diag([2.0, 3.0]))


def test_identity_constructor() -> None:
    plane = Projection.identity(4)
    assert plane.dim == 4 and plane.axis_labels == ("z1", "z2")
    assert np.array_equal(plane.to_plane([1.0, 2.0, 3.0, 4.0]), [1.0, 2.0])
    assert np.array_equal(plane.to_latent([1.0, 2.0]), [1.0, 2.0, 0.0, 0.0])
    assert np.all(np.isnan(plane.explained_variance_ratio))
    with pytest.raises(LatentError, match="at least 2"):
        Projection.identity(1)


def _pca_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """5-D data spread mostly along e3, then along (e1 − e2)/√2, with tiny noise.

    The two coordinates are an exact ellipse (uncorrelated by construction), so the
    principal directions are known to within the noise.
    """
    rng = np.random.default_rng(2)
    d1 = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    d2 = np.array([1.0, -1.0, 0.0, 0.0, 0.0]) / math.sqrt(2.0)
    theta = np.linspace(0.0, 2.0 * math.pi, 400, endpoint=False)
    a, b = 4.0 * np.cos(theta), 2.0 * np.sin(theta)
    noise = rng.normal(size=(400, 5)) * 1e-4
    centre = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    return centre + a[:, None] * d1 + b[:, None] * d2 + noise, d1, d2


def test_pca_plane_5d() -> None:
    means, d1, d2 = _pca_data()
    plane = Projection.fit(means)
    assert plane.dim == 5
    assert np.allclose(plane.origin, means.mean(axis=0))
    assert np.allclose(plane.components @ plane.components.T, np.eye(2))
    # Sign convention: largest-magnitude entry positive → +e3 and +(e1 − e2)/√2.
    assert np.allclose(plane.components[0], d1, atol=1e-3)
    assert np.allclose(plane.components[1], d2, atol=1e-3)
    ratio = plane.explained_variance_ratio
    assert ratio[0] > ratio[1] > 0.0 and ratio.sum() == pytest.approx(1.0, abs=1e-3)
    assert ratio[0] == pytest.approx(0.8, abs=0.06)
    assert plane.axis_labels[0] == f"PC1 ({round(ratio[0] * 100)}% var)"
    assert plane.axis_labels[1].startswith("PC2 (") and plane.axis_labels[1].endswith("% var)")


def test_a_projection_is_a_latent_view_like_the_windows() -> None:
    """The studio's plane answers the same questions as the window's views: a posterior's
    ellipse on the plane, and whether the prior keeps its shape there."""
    means, _, _ = _pca_data()
    plane = Projection.fit(means)
    assert isinstance(plane, LatentView) and plane.keeps_prior_shape and plane.name == "orthogonal projection"
    var = np.array([0.5, 1.0, 2.0, 0.1, 0.3])
    centre, cov = plane.project_gaussian(means[0], var)
    assert np.allclose(centre, plane.to_plane(means[0]))
    assert np.allclose(cov, plane.components @ np.diag(var) @ plane.components.T)


def test_pca_round_trip_and_projection() -> None:
    means, _, _ = _pca_data()
    plane = Projection.fit(means)
    xy = np.array([[0.0, 0.0], [1.5, -2.0], [-3.0, 0.25]])
    z = plane.to_latent(xy)
    assert z.shape == (3, 5)
    assert np.allclose(plane.to_plane(z), xy)
    assert np.allclose(plane.to_latent(plane.to_plane(z)), z)
    assert np.allclose(plane.to_plane(plane.origin), [0.0, 0.0])


def test_pca_sign_is_deterministic() -> None:
    means, _, _ = _pca_data()
    first = Projection.fit(means)
    flipped = Projection.fit(-means)  # same directions, opposite data
    shuffled = Projection.fit(means[np.random.default_rng(5).permutation(len(means))])
    for other in (flipped, shuffled):
        assert np.allclose(other.components, first.components, atol=1e-9)
        assert other.components[0][np.argmax(np.abs(other.components[0]))] > 0


def test_project_covariance_matches_sampling_formula() -> None:
    means, _, _ = _pca_data()
    plane = Projection.fit(means)
    var = np.array([0.5, 1.0, 2.0, 0.1, 0.3])
    cov = plane.project_covariance(var)
    c = plane.components
    assert np.allclose(cov, c @ np.diag(var) @ c.T)
    assert np.array_equal(cov, cov.T)
    with pytest.raises(LatentError, match="negative"):
        plane.project_covariance([-1.0, 1.0, 1.0, 1.0, 1.0])
    with pytest.raises(LatentError, match="shape"):
        plane.project_covariance([1.0, 1.0])


def test_plane_dict_round_trip_through_json() -> None:
    means, _, _ = _pca_data()
    for plane in (Projection.fit(means), Projection.identity(3)):
        data = json.loads(json.dumps(plane.to_dict()))  # strict JSON: no NaN tokens
        back = Projection.from_dict(data)
        assert np.array_equal(back.origin, plane.origin)
        assert np.array_equal(back.components, plane.components)
        assert back.axis_labels == plane.axis_labels
        assert np.array_equal(
            back.explained_variance_ratio, plane.explained_variance_ratio, equal_nan=True
        )


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"origin": [0, 0]}, "missing"),
        ("nope", "mapping"),
        (
            {"origin": [0, 0], "components": [[1, 0], [1, 0]], "axis_labels": ["a", "b"],
             "explained_variance_ratio": [0.5, 0.5]},
            "orthonormal",
        ),
        (
            {"origin": [0, 0, 0], "components": [[1, 0], [0, 1]], "axis_labels": ["a", "b"],
             "explained_variance_ratio": [0.5, 0.5]},
            "origin",
        ),
        (
            {"origin": [0, 0], "components": [[1, 0], [0, 1]], "axis_labels": "ab",
             "explained_variance_ratio": [0.5, 0.5]},
            "labels",
        ),
    ],
)
def test_plane_from_dict_errors(data: object, match: str) -> None:
    with pytest.raises(LatentError, match=match):
        Projection.from_dict(data)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("means", "match"),
    [
        (np.zeros((3, 1)), "at least 2"),
        (np.zeros((1, 5)), "at least 2 latent means"),
        (np.ones((4, 5)), "identical"),
        ([[0.0, np.nan], [1.0, 1.0]], "NaN"),
        (np.zeros(5), "shape"),
    ],
)
def test_plane_fit_errors(means: object, match: str) -> None:
    with pytest.raises(LatentError, match=match):
        Projection.fit(means)  # type: ignore[arg-type]


def test_plane_input_checks() -> None:
    plane = Projection.identity(3)
    with pytest.raises(LatentError, match=r"\(N, 3\)"):
        plane.to_plane(np.zeros((2, 4)))
    with pytest.raises(LatentError, match=r"\(N, 2\)"):
        plane.to_latent(np.zeros((2, 3)))
    with pytest.raises(LatentError, match="NaN"):
        plane.to_latent([[np.nan, 0.0]])


# --------------------------------------------------------------------------------------
# Grid and tile


def test_grid_order_and_counts() -> None:
    pts = grid((0.0, 4.0), (-2.0, 2.0), 4)
    assert pts.shape == (16, 2)
    assert pts[0].tolist() == [0.5, 1.5]  # top-left
    assert pts[3].tolist() == [3.5, 1.5]  # top-right: x grows along a row
    assert pts[4].tolist() == [0.5, 0.5]  # next row is lower
    assert pts[-1].tolist() == [3.5, -1.5]  # bottom-right
    assert np.all(np.diff(pts[:4, 0]) > 0)
    assert np.all(np.diff(pts[::4, 1]) < 0)
    assert grid((0.0, 1.0), (0.0, 1.0), 1).tolist() == [[0.5, 0.5]]


@pytest.mark.parametrize(
    ("x_range", "y_range", "n", "match"),
    [
        ((1.0, 0.0), (0.0, 1.0), 3, "low < high"),
        ((0.0, 1.0), (0.0, 0.0), 3, "low < high"),
        ((0.0, np.nan), (0.0, 1.0), 3, "finite"),
        ((0.0,), (0.0, 1.0), 3, "pair"),
        ((0.0, 1.0), (0.0, 1.0), 0, "at least 1"),
    ],
)
def test_grid_errors(x_range: object, y_range: object, n: object, match: str) -> None:
    with pytest.raises(LatentError, match=match):
        grid(x_range, y_range, n)  # type: ignore[arg-type]


def test_tile_places_images_like_grid() -> None:
    n, h, w = 3, 2, 4
    images = np.arange(n * n)[:, None, None] * np.ones((n * n, h, w))
    picture = tile(images, n)
    assert picture.shape == (n * h, n * w)
    for r in range(n):
        for c in range(n):
            block = picture[r * h : (r + 1) * h, c * w : (c + 1) * w]
            assert np.all(block == r * n + c)
    with pytest.raises(LatentError, match="9 images"):
        tile(images[:8], 3)


# --------------------------------------------------------------------------------------
# Ellipses


def test_sigma_ellipse_radii() -> None:
    poly = sigma_ellipse([1.0, -1.0], [2.0, 0.5], k=2.0, n=64)
    assert poly.shape == (65, 2)
    assert np.array_equal(poly[0], poly[-1])
    rel = poly - [1.0, -1.0]
    # Every vertex satisfies (x/4)² + (y/1)² = 1.
    assert np.allclose((rel[:, 0] / 4.0) ** 2 + (rel[:, 1] / 1.0) ** 2, 1.0)
    assert rel[:, 0].max() == pytest.approx(4.0) and rel[:, 1].max() == pytest.approx(1.0)


def test_covariance_ellipse_rotated() -> None:
    angle = math.radians(30)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    cov = rot @ np.diag([9.0, 1.0]) @ rot.T
    poly = covariance_ellipse([0.5, 0.5], cov, k=1.0, n=128)
    assert poly.shape == (129, 2) and np.array_equal(poly[0], poly[-1])
    rel = poly - 0.5
    # Mahalanobis distance of every vertex is k.
    m = np.einsum("ni,ij,nj->n", rel, np.linalg.inv(cov), rel)
    assert np.allclose(m, 1.0)
    assert np.linalg.norm(rel, axis=1).max() == pytest.approx(3.0, rel=1e-3)
    assert np.linalg.norm(rel, axis=1).min() == pytest.approx(1.0, rel=1e-3)


def test_covariance_ellipse_matches_axis_aligned() -> None:
    a = sigma_ellipse([0.0, 0.0], [2.0, 1.0], k=1.5)
    b = covariance_ellipse([0.0, 0.0], np.diag([4.0, 1.0]), k=1.5)
    rel = lambda p: (p[:, 0] / 3.0) ** 2 + (p[:, 1] / 1.5) ** 2  # noqa: E731
    assert np.allclose(rel(a), 1.0) and np.allclose(rel(b), 1.0)


def test_degenerate_covariance_is_a_segment() -> None:
    poly = covariance_ellipse([0.0, 0.0], [[1.0, 1.0], [1.0, 1.0]], k=1.0)
    assert np.allclose(poly[:, 0], poly[:, 1])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: sigma_ellipse([0, 0], [-1, 1], 1.0), "negative"),
        (lambda: sigma_ellipse([0, 0, 0], [1, 1], 1.0), "mean"),
        (lambda: sigma_ellipse([0, 0], [1, 1], -1.0), "k must not be negative"),
        (lambda: sigma_ellipse([0, 0], [1, 1], 1.0, n=2), "at least 3"),
        (lambda: sigma_ellipse([0, np.nan], [1, 1], 1.0), "NaN"),
        (lambda: covariance_ellipse([0, 0], [[1, 0.5], [0, 1]], 1.0), "symmetric"),
        (lambda: covariance_ellipse([0, 0], [[1, 0], [0, -1]], 1.0), "semi-definite"),
        (lambda: covariance_ellipse([0, 0], np.eye(3), 1.0), r"\(2, 2\)"),
    ],
)
def test_ellipse_errors(call: object, match: str) -> None:
    with pytest.raises(LatentError, match=match):
        call()  # type: ignore[operator]


def test_density_is_highest_where_the_points_are_and_integrates_to_one():
    from vaedesk.latent.geometry import density

    rng = np.random.default_rng(0)
    points = np.concatenate([rng.normal((1.0, 1.0), 0.1, (900, 2)), rng.normal((-1.0, -1.0), 0.1, (100, 2))])
    image = density(points, (-2.0, 2.0, -2.0, 2.0), bins=40)
    assert image.shape == (40, 40) and (image >= 0).all()
    assert image.sum() * (4.0 / 40) ** 2 == pytest.approx(1.0, abs=0.02)
    row, col = np.unravel_index(image.argmax(), image.shape)
    assert (col + 0.5) / 40 * 4 - 2 == pytest.approx(1.0, abs=0.2)  # x of the peak
    assert 2 - (row + 0.5) / 40 * 4 == pytest.approx(1.0, abs=0.2)  # y: row 0 is the top
    assert image[30, 10] > 0 and image[30, 10] < image[row, col] / 3  # the smaller cluster
    with pytest.raises(LatentError):
        density(np.zeros((0, 2)), (-1, 1, -1, 1))


def test_a_spherical_path_between_points_in_range_stays_in_range():
    # Found by hypothesis through `vaedesk morph`: the arc from (0, -662) to (856, 745)
    # passed 1000.05 on one coordinate, which the decoder refuses.
    from vaedesk.support.limits import LATENT_LIMIT

    path = interpolate_path([[0.0, 0.0], [0.0, -662.0], [856.0, 745.0]], 3, method="spherical", easing="ease-out")
    assert np.abs(path).max() <= LATENT_LIMIT
    path = interpolate_path([[0.0, -662.0], [856.0, 745.0]], 200, method="spherical")
    assert np.abs(path).max() <= LATENT_LIMIT and np.array_equal(path[-1], [856.0, 745.0])
