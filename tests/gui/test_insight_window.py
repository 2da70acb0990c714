"""The insight views in the real window: the posterior lens, what a drawing costs, where it landed,
the aggregate posterior, prior samples and the guided tour (keyboard only)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from vaedesk.data.datasets import load_split
from vaedesk.data.sketches import draw_digit

from tests.support.gui_input import draw_strokes
from tests.support.windows import wait_for_final_posterior

pytestmark = pytest.mark.usefixtures("default_reference")


def _draw_and_explain(qtbot, win, digit, seed):
    draw_strokes(qtbot, win.canvas, draw_digit(digit, np.random.default_rng(seed)))
    result = wait_for_final_posterior(qtbot, win)
    # On pen release the explanation follows, with the importance-weighted estimate.
    qtbot.waitUntil(lambda: win.last_report is not None and win.last_report.iwae_nats is not None, timeout=30_000)
    return result, win.last_report


def test_the_views_have_their_names(window):
    for name in ("posterior_lens", "loss_breakdown", "nearest_digits", "insight_tabs"):
        assert window.findChild(QWidget, name) is not None, name
    for name in ("aggregate_density", "sample_prior", "tour"):
        assert getattr(window.window_actions, name).objectName() == f"action_{name}"


@pytest.mark.slow
def test_the_lens_frames_each_new_posterior_and_is_marked_on_the_plane(qtbot, window):
    window.show_insight()
    first, _ = _draw_and_explain(qtbot, window, 7, 1)
    x0, x1, y0, y1 = window.lens.view_rect()
    mx, my = first.mean_xy
    assert x0 < mx < x1 and y0 < my < y1
    # Framed on the distribution, not the plane: a well-trained 2-d posterior is tiny.
    assert (x1 - x0) < 1.0 and (x1 - x0) > 3 * 2 * np.sqrt(first.cov_xy[0, 0]) * 0.9
    outline = window.plane.lens_rect_item
    assert outline.isVisible() and outline.getData()[0].min() == pytest.approx(x0)
    qtbot.waitUntil(lambda: len(window.lens.grid_rects()) == 25, timeout=10_000)  # its decodings
    window.clear_drawing()
    second, _ = _draw_and_explain(qtbot, window, 0, 2)
    nx0, nx1, ny0, ny1 = window.lens.view_rect()
    assert nx0 < second.mean_xy[0] < nx1 and ny0 < second.mean_xy[1] < ny1
    assert (nx0, ny0) != (x0, y0)
    window.clear_drawing()
    assert window.lens.mode() == "none" and not outline.isVisible()


@pytest.mark.slow
def test_what_the_drawing_costs_adds_up(qtbot, window):
    _result, report = _draw_and_explain(qtbot, window, 3, 4)
    window.show_insight(window.loss_view)  # a hidden view catches up when shown
    assert report.kl_per_dim.sum() == pytest.approx(report.kl_nats, rel=1e-5)
    assert report.recon_nats + report.kl_nats == pytest.approx(report.neg_elbo_nats, rel=1e-6)
    assert report.iwae_nats <= report.neg_elbo_nats + 0.5
    assert 0.0 <= report.percentile <= 100.0
    view = window.loss_view
    assert view.message() == "" or "nats" in view.message()
    assert len(view.kl_bars()) == window.model_info.latent_dim
    # Every bar stands inside the plot, from its floor.
    from PySide6.QtWidgets import QWidget
    (x0, x1), (y0, y1) = view.findChild(QWidget, "loss_kl_bars").getViewBox().viewRange()
    assert y0 == 0.0 and max(height for _, height, _ in view.kl_bars()) <= y1
    assert x0 < 0 and len(view.kl_bars()) - 1 < x1
    from PySide6.QtWidgets import QLabel

    texts = " ".join(label.text() for label in view.findChildren(QLabel))
    assert f"{report.neg_elbo_nats:.1f}" in texts and f"{report.iwae_nats:.1f}" in texts


@pytest.mark.slow
def test_where_it_landed_shows_training_digits_and_a_click_shows_one(qtbot, window):
    _result, report = _draw_and_explain(qtbot, window, 1, 5)
    train = load_split("train", as_uint8=True)
    assert list(report.neighbour_labels) == [int(train.labels[i]) for i in report.neighbours]
    view = window.nearest_view
    window.insight_tabs.setCurrentIndex(2)  # a hidden view catches up when shown
    qtbot.wait(50)
    assert view.labels() == [str(int(k)) for k in report.neighbour_labels]
    assert "→" in view.vote_text()
    tiles = view.findChild(QWidget, "nearest_digits_strip").tiles()
    with qtbot.waitSignal(window.preview_changed, timeout=5_000) as shown:
        qtbot.mouseClick(tiles[2], Qt.MouseButton.LeftButton, pos=tiles[2].rect().center())
    number = int(report.neighbours[2])
    np.testing.assert_allclose(shown.args[0], train.images[number] / 255.0, atol=1e-6)
    assert f"Training digit #{number}" in window.preview_view.caption()


def test_the_aggregate_posterior_is_shaded_on_demand(qtbot, window):
    window.window_actions.aggregate_density.setChecked(True)
    qtbot.waitUntil(lambda: window.plane.density_item.isVisible(), timeout=30_000)
    window.window_actions.aggregate_density.setChecked(False)
    assert not window.plane.density_item.isVisible()


@pytest.mark.slow
def test_samples_from_the_prior_and_the_encoded_set(qtbot, window):
    window.window_actions.sample_prior.trigger()
    qtbot.waitUntil(lambda: window.findChild(QDialog, "prior_samples") is not None, timeout=30_000)
    dialog = window.findChild(QDialog, "prior_samples")
    strips = [w for w in dialog.children() if type(w).__name__ == "ImageStrip"]
    assert len(strips) == 2 and all(strip.count() == 8 for strip in strips)
    dialog.close()


@pytest.mark.slow
def test_the_guided_tour_works_with_the_keyboard_alone(qtbot, window):
    _draw_and_explain(qtbot, window, 2, 6)
    QTest.keyClick(window, Qt.Key.Key_F2)
    tour = window.tour
    assert tour.is_running() and tour.index == 0 and tour.target() is window.lens
    assert "μ" in tour.text.text() and "σ" in tour.text.text()
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right)
    assert tour.index == 1 and "ε" in tour.text.text() and "z = μ + σ·ε" in tour.text.text()
    assert window.plane.loupe.is_shown() and "sample 1 in the loupe" in tour.text.text()
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right)
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right)
    assert tour.index == 3 and tour.target() is window.loss_view and "nats" in tour.text.text()
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Left)
    assert tour.index == 2
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert not tour.is_running()
