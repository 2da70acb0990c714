"""Views of latent spaces above two dimensions (vaedesk.latent.views)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from vaedesk.errors import LatentError
from vaedesk.latent.views import LinearView, NeighbourView, fit_view


def _clusters(n_per: int = 200, dim: int = 6, seed: int = 0):
    """Three Gaussian clusters in ``dim`` dimensions, separated only along dimension 4."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(3), n_per)
    data = rng.standard_normal((3 * n_per, dim)) * np.array([3.0, 2.5, 2.0, 1.5, 0.2, 1.0][:dim])
    data[:, 4] += labels * 2.0  # the class signal: small next to the spread of dims 0-2
    return data, labels


def test_pca_view_matches_principal_directions_and_maps_back_to_the_data():
    data, _ = _clusters()
    view = fit_view(None, "pca", data)
    assert view.kind == "pca" and view.dim == 6 and view.axis_labels[0].startswith("PC1")
    plane = view.to_plane(data)
    assert plane.shape == (600, 2) and np.allclose(plane.mean(0), 0, atol=1e-9)
    assert plane[:, 0].var() >= plane[:, 1].var() >= np.var(data, axis=0).min()
    # A plane point maps back to the likeliest latent: the data's centre for the origin,
    # and a point on the plane that projects to the same place (a right inverse).
    np.testing.assert_allclose(view.to_latent(np.zeros(2)), data.mean(0), atol=1e-9)
    points = np.array([[1.0, -2.0], [0.5, 0.5]])
    np.testing.assert_allclose(view.to_plane(view.to_latent(points)), points, atol=1e-9)


def test_lda_separates_classes_that_pca_mixes():
    data, labels = _clusters()

    def separation(view):
        plane = view.to_plane(data)
        centres = np.stack([plane[labels == c].mean(0) for c in range(3)])
        spread = np.mean([plane[labels == c].std(0).mean() for c in range(3)])
        return np.linalg.norm(centres[0] - centres[2]) / spread

    assert separation(fit_view(None, "lda", data, labels)) > 5 * separation(fit_view(None, "pca", data))
    lda = fit_view(None, "lda", data, labels)
    points = np.array([[0.3, -0.7]])
    np.testing.assert_allclose(lda.to_plane(lda.to_latent(points)), points, atol=1e-8)
    with pytest.raises(LatentError, match="needs the labels"):
        fit_view(None, "lda", data)


def test_dims_view_shows_two_coordinates_and_holds_the_rest_at_its_anchor():
    data, _ = _clusters()
    view = fit_view(None, "dims", data)  # without a model: the two of largest variance
    assert view.shown_dims == (0, 1) and view.axis_labels == ("z1", "z2")
    chosen = fit_view(None, "dims", data, dims=(4, 2))
    z = data[:3]
    np.testing.assert_allclose(chosen.to_plane(z), z[:, [4, 2]])  # the coordinates themselves
    back = chosen.to_latent(chosen.to_plane(z))
    np.testing.assert_allclose(back[:, [4, 2]], z[:, [4, 2]])
    np.testing.assert_allclose(back[:, [0, 1, 3, 5]], np.broadcast_to(data.mean(0)[[0, 1, 3, 5]], (3, 4)))
    anchored = chosen.with_anchor(z[0])
    np.testing.assert_allclose(anchored.to_latent(anchored.to_plane(z[0])), z[0])
    for bad in [(1, 1), (0, 6), (0,), (-1, 2)]:
        with pytest.raises(LatentError, match="two different latent dimensions"):
            fit_view(None, "dims", data, dims=bad)


def test_posterior_ellipse_on_a_linear_view():
    data, _ = _clusters()
    view = fit_view(None, "dims", data, dims=(0, 3))
    centre, cov = view.project_gaussian(np.ones(6), np.arange(1.0, 7.0))
    np.testing.assert_allclose(centre, view.to_plane(np.ones(6)))
    np.testing.assert_allclose(cov, np.diag([1.0, 4.0]))
    with pytest.raises(LatentError, match="negative"):
        view.project_gaussian(np.zeros(6), -np.ones(6))


def test_neighbour_view_places_new_points_among_their_fitted_neighbours():
    rng = np.random.default_rng(1)
    fitted = rng.standard_normal((50, 4))
    plane = rng.standard_normal((50, 2))
    view = NeighbourView(fitted, plane, k=3)
    # A fitted point is placed (almost exactly) where it was fitted; a plane point back.
    np.testing.assert_allclose(view.to_plane(fitted[7]), plane[7], atol=1e-4)
    np.testing.assert_allclose(view.to_latent(plane[9]), fitted[9], atol=1e-4)
    between = view.to_plane(fitted[:5] + 1e-3)
    assert between.shape == (5, 2)
    centre, cov = view.project_gaussian(fitted[3], np.full(4, 1e-8))
    np.testing.assert_allclose(centre, plane[3], atol=1e-3)
    assert cov.shape == (2, 2) and np.all(np.abs(cov) < 1e-4)
    with pytest.raises(LatentError):
        NeighbourView(fitted[:2], plane[:2], k=3)


def test_a_used_neighbour_view_travels_between_processes_without_torch():
    """The model process sends its view to the window, which has no torch: the view's torch
    copies of its points stay behind (torch would share their memory through a channel the
    other process cannot open), and the copy answers the same."""
    rng = np.random.default_rng(2)
    fitted, plane = rng.standard_normal((30, 3)), rng.standard_normal((30, 2))
    view = NeighbourView(fitted, plane, k=3)
    placed = view.to_plane(fitted[:4])
    data = pickle.dumps(view)
    assert b"torch" not in data
    np.testing.assert_allclose(pickle.loads(data).to_plane(fitted[:4]), placed)


def test_a_neighbour_view_places_points_in_a_process_without_torch_as_with_it(tmp_path):
    """The window shows a neighbourhood view (its prior's centre, its pins) without ever
    importing PyTorch, and places points as the model process does."""
    import subprocess
    import sys

    from tests.support.paths import REPO

    rng = np.random.default_rng(3)
    view = NeighbourView(rng.standard_normal((400, 5)), rng.standard_normal((400, 2)))
    queries, points = rng.standard_normal((40, 5)), rng.standard_normal((40, 2))
    (tmp_path / "view.pickle").write_bytes(pickle.dumps((view, queries, points)))
    script = ("import pickle, sys, numpy as np; view, q, p = pickle.load(open(sys.argv[1], 'rb')); "
              "np.save(sys.argv[2], np.concatenate([view.to_plane(q), view.to_latent(p)], 1)); "
              "assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "view.pickle"), str(tmp_path / "out.npy")],
                   check=True, cwd=REPO, timeout=120)
    placed = np.load(tmp_path / "out.npy")
    np.testing.assert_allclose(placed[:, :2], view.to_plane(queries), atol=1e-5)
    np.testing.assert_allclose(placed[:, 2:], view.to_latent(points), atol=1e-5)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda d: fit_view(None, "tsne", d), "unknown view"),
        (lambda d: fit_view(None, "pca", d[:2]), "N ≥ 3"),
        (lambda d: fit_view(None, "pca", np.full((5, 3), np.nan)), "finite|NaN"),
        (lambda d: fit_view(None, "pca", d).to_plane(np.zeros(5)), "shape"),
        (lambda d: fit_view(None, "pca", d).to_latent(np.zeros(3)), "shape"),
        (lambda d: fit_view(None, "pca", np.zeros((10, 3))), "no variance"),
        (lambda d: fit_view(None, "lda", d, np.zeros(len(d))), "at least 3 classes"),
    ],
)
def test_bad_input_is_named(call, message):
    data, _ = _clusters()
    with pytest.raises(LatentError, match=message):
        call(data)


def test_linear_view_is_read_only():
    view = fit_view(None, "pca", _clusters()[0])
    assert isinstance(view, LinearView)
    with pytest.raises(ValueError):
        view.weights[0, 0] = 5.0


def test_a_two_dimensional_space_is_its_own_plane_whatever_the_view():
    data, labels = _clusters()
    data = data[:, [0, 4]]
    for kind in ("pca", "lda", "dims"):
        view = fit_view(None, kind, data, labels)
        z = data[:5]
        np.testing.assert_allclose(view.to_plane(z), z)
        np.testing.assert_allclose(view.to_latent(z), z)
        assert view.axis_labels == ("z1", "z2")


@pytest.mark.slow
def test_the_neighbourhood_map_is_fitted_on_as_many_means_as_the_setting_asks(monkeypatch):
    pytest.importorskip("umap")
    means = np.random.default_rng(0).standard_normal((400, 4)).astype(np.float32)
    monkeypatch.setenv("VAEDESK_NEIGHBOUR_POINTS", "150")
    assert len(fit_view(None, "neighbors", means).fitted_latents) == 150
    monkeypatch.setenv("VAEDESK_NEIGHBOUR_POINTS", "many")
    with pytest.raises(LatentError, match="VAEDESK_NEIGHBOUR_POINTS must be a whole number"):
        fit_view(None, "neighbors", means)
