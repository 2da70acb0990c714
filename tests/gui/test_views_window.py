"""View -> Plane: latent spaces above two dimensions shown in other views, in the real window."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

import vaedesk
from vaedesk.data.sketches import draw_digit
from vaedesk.gui import MainWindow
from vaedesk.model.catalog import resolve_model_path
from vaedesk.service.protocol import Channel

from tests.support.gui_input import draw_strokes
from tests.support.windows import LOAD_TIMEOUT, wait_for_final_posterior


def _open(qtbot, model):
    win = MainWindow(model=model)
    qtbot.addWidget(win)
    win.resize(1300, 820)
    with qtbot.waitSignal(win.model_ready, timeout=LOAD_TIMEOUT):
        win.show()
    return win


def _switch_view(qtbot, win, action):
    with qtbot.waitSignal(win.model_ready, timeout=LOAD_TIMEOUT):
        action.trigger()


@pytest.mark.slow
def test_views_switch_keep_pins_on_their_latents_and_are_remembered(qtbot, explanation_references):
    explanation_references("mnist-vae-16d")
    win = _open(qtbot, "mnist-vae-16d")
    model = vaedesk.load_model("mnist-vae-16d")
    actions = win.window_actions
    assert win.model_info.view.kind == "pca" and actions.view_pca.isChecked() and actions.view_lda.isEnabled()
    pin = win.add_pin(0.5, -0.5)
    pin_latent = win.model_info.view.to_latent(np.array([[0.5, -0.5]]))[0]

    _switch_view(qtbot, win, actions.view_lda)
    view = win.model_info.view
    assert view.kind == "lda" and actions.view_lda.isChecked() and not actions.view_pca.isChecked()
    assert win.plane.axis_labels() == ("LD1", "LD2")
    # LDA stretches the space: the prior's circles would not be circles, so they are hidden.
    assert not any(circle.isVisible() for circle in win.plane.prior_circles)
    # The pin is where the new view shows its latent point.
    np.testing.assert_allclose(dict(win.plane.pins())[pin], view.to_plane(pin_latent[None])[0], atol=1e-6)
    np.testing.assert_allclose(win.workspace.pin(pin).latent, pin_latent, atol=1e-9)  # the pin itself never moves
    # The drawing's posterior is placed through the view.
    draw_strokes(qtbot, win.canvas, draw_digit(7, np.random.default_rng(1)))
    result = wait_for_final_posterior(qtbot, win)
    np.testing.assert_allclose(result.mean_xy, view.to_plane(result.posterior.mean[0]), atol=1e-6)
    # Hovering decodes the view's latent for the point.
    with qtbot.waitSignal(win.preview_changed, timeout=10_000) as shown:
        win.plane.hovered.emit(1.0, 0.5)
    np.testing.assert_allclose(shown.args[0], model.decode(view.to_latent(np.array([[1.0, 0.5]])))[0], atol=1e-5)

    _switch_view(qtbot, win, actions.view_dims)
    assert win.model_info.view.kind == "dims"
    assert all(circle.isVisible() for circle in win.plane.prior_circles)
    assert win.plane.axis_labels()[0].startswith("z")
    win.close()
    again = _open(qtbot, "mnist-vae-16d")  # remembered for this model
    assert again.model_info.view.kind == "dims" and again.window_actions.view_dims.isChecked()
    again.close()


def test_a_two_dimensional_model_has_no_views_to_choose(qtbot, default_reference):
    win = _open(qtbot, "mnist-vae-2d")
    assert not win.window_actions.view_pca.isEnabled() and not win.window_actions.view_neighbors.isEnabled()
    assert win.model_info.view.axis_labels == ("z1", "z2")
    z = np.array([[0.3, -1.2]])
    np.testing.assert_allclose(win.model_info.view.to_plane(z), z)
    win.close()


def _fit_processes(model_pid):
    """The view-fitting processes the model process has started and that still run (Linux's /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat, command = (entry / "stat").read_text(), (entry / "cmdline").read_bytes()
        except OSError:  # ended meanwhile
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == model_pid and b"vaedesk.service.view_fit" in command:
            found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_the_shipped_neighbourhood_view_shows_at_once(qtbot, monkeypatch, explanation_references):
    explanation_references("mnist-vae-16d")
    monkeypatch.delenv("VAEDESK_NEIGHBOUR_POINTS", raising=False)
    win = _open(qtbot, "mnist-vae-16d")
    banner = win.findChild(QWidget, "view_progress")
    marked = []
    win.client.subscribe(Channel.VIEW_FIT, marked.append)
    with qtbot.waitSignal(win.model_ready, timeout=10_000):
        qtbot.keyClick(win, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
    # No fit: the stored view (its speed is benchmarked).
    assert win.model_info.view.kind == "neighbors" and len(win.model_info.view.fitted_latents) == 12_000
    assert marked == [] and not banner.isVisible()
    assert win.plane.axis_labels() == ("UMAP 1", "UMAP 2")
    # A drawing is placed among the test digits of its class.
    info = win.model_info
    draw_strokes(qtbot, win.canvas, draw_digit(0, np.random.default_rng(1)))
    result = wait_for_final_posterior(qtbot, win)
    nearest = np.argsort(np.linalg.norm(info.scatter_xy - result.mean_xy, axis=1))[:15]
    assert np.bincount(info.scatter_labels[nearest], minlength=10).argmax() == 0
    win.close()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the fitting process through /proc")
def test_a_fit_for_a_users_model_marks_the_old_view_and_cancel_keeps_it(qtbot, monkeypatch, tmp_path,
                                                                        explanation_references):
    explanation_references("mnist-vae-16d")
    monkeypatch.setenv("VAEDESK_NEIGHBOUR_POINTS", "60000")  # a map of minutes, never cached: cancelled long before
    weights = resolve_model_path("mnist-vae-16d")
    for suffix in (".safetensors", ".json"):
        shutil.copy(weights.with_suffix(suffix), tmp_path / f"mine{suffix}")
    win = _open(qtbot, str(tmp_path / "mine.safetensors"))
    banner = win.findChild(QWidget, "view_progress")
    qtbot.keyClick(win, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(banner.isVisible, timeout=LOAD_TIMEOUT)
    assert banner.text().startswith("Still the principal components view — fitting the neighbourhoods (UMAP) view")
    model_pid = win.client.worker.pid()
    qtbot.waitUntil(lambda: bool(_fit_processes(model_pid)), timeout=10_000)
    # The model process goes on answering: a drawing is encoded and placed in the view shown.
    draw_strokes(qtbot, win.canvas, draw_digit(7, np.random.default_rng(1)))
    result = wait_for_final_posterior(qtbot, win)
    assert win.model_info.view.kind == "pca" and banner.isVisible()
    np.testing.assert_allclose(result.mean_xy, win.model_info.view.to_plane(result.posterior.mean[0]), atol=1e-6)

    qtbot.mouseClick(banner.findChild(QWidget, "view_progress_cancel"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=10_000)
    actions = win.window_actions
    assert win.model_info.view.kind == "pca" and actions.view_pca.isChecked() and not actions.view_neighbors.isChecked()
    assert win.plane.axis_labels()[0].startswith("PC1")
    assert "Kept the principal components view" in win.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not _fit_processes(model_pid), timeout=5_000)  # the work really stopped
    win.close()
