"""View → Compare models: two models side by side on the same drawing, the same latent point,
the same prior draws and the same morph, driven through the real window."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from vaedesk.data.sketches import draw_digit
from vaedesk.gui.dialogs.compare import CompareWindow
from vaedesk.insight.comparison import prior_draws

from tests.support.gui_input import draw_strokes, send_mouse
from tests.support.windows import wait_for_final_posterior

pytestmark = pytest.mark.slow


def _viewport_pos(plane, x: float, y: float) -> QPointF:
    return QPointF(plane.mapFromScene(plane.getPlotItem().getViewBox().mapViewToScene(QPointF(x, y))))


def test_two_models_side_by_side_on_the_same_drawing_point_draws_and_morph(qtbot, window) -> None:
    draw_strokes(qtbot, window.canvas, draw_digit(7, np.random.default_rng(7)))
    wait_for_final_posterior(qtbot, window)
    window.window_actions.compare.trigger()
    compare = window.findChild(QWidget, "compare_view")
    assert isinstance(compare, CompareWindow) and compare.isVisible()
    # The default pair: the current VAE and the autoencoder of its latent size.
    assert [pane.chooser.currentText() for pane in compare.panes] == ["mnist-vae-2d", "mnist-ae-2d"]
    qtbot.waitUntil(lambda: all(info is not None for info in compare.infos), timeout=60_000)
    vae, ae = compare.panes
    # Both planes at one scale: the autoencoder's wider space is not rescaled to look like the VAE's.
    scales = [p.plane.getViewBox().viewPixelSize()[0] for p in compare.panes]
    assert scales[0] == pytest.approx(scales[1], rel=0.15)
    x0, x1, y0, y1 = ae.plane.view_rect()
    assert x0 < -6 and x1 > 6 and y0 < -6 and y1 > 6  # the autoencoder's codes reach far beyond the prior's
    # The drawing is encoded by both: a distribution in the VAE, a point in the autoencoder.
    qtbot.waitUntil(lambda: all(len(p.plane.mean_item.points()) == 1 for p in compare.panes), timeout=30_000)
    assert vae.plane.ellipse_items[0].isVisible() and not ae.plane.ellipse_items[0].isVisible()

    # Drawing on: both follow.
    before = vae.plane.mean_item.points()[0].copy()
    draw_strokes(qtbot, window.canvas, [np.array([[60.0, 200.0], [200.0, 200.0]])])
    qtbot.waitUntil(lambda: not np.allclose(vae.plane.mean_item.points()[0], before), timeout=30_000)

    # Hovering the VAE's plane with the mouse decodes that latent point in both models.
    send_mouse(vae.plane.viewport(), QEvent.Type.MouseMove, _viewport_pos(vae.plane, 0.5, -0.5),
               Qt.MouseButton.NoButton, Qt.MouseButton.NoButton)
    qtbot.waitUntil(lambda: ae.preview.image() is not None and vae.preview.image() is not None, timeout=30_000)
    assert ae.preview.caption() == "the same latent point"
    marker = ae.plane.hover_marker.data
    assert len(marker) == 1 and (marker["x"][0], marker["y"][0]) == pytest.approx((0.5, -0.5), abs=0.05)

    # The same ε in both: where each model puts it on its plane (2-d: the plane is the latent space).
    qtbot.waitUntil(lambda: all(p.draws.tiles()[0].image() is not None for p in compare.panes), timeout=60_000)
    QTest.mouseClick(compare.sample_button, Qt.MouseButton.LeftButton)
    expected = prior_draws(2, 8, compare.seed)
    qtbot.waitUntil(lambda: all(p.draw_points() == pytest.approx(expected, abs=1e-4) for p in compare.panes),
                    timeout=60_000)
    for pane in compare.panes:
        assert pane.line.text().startswith("Of 500 draws from N(0, I), ") and "names confidently" in pane.line.text()
        captions = [tile.caption() for tile in pane.draws.tiles()]
        assert captions[0].startswith("1: ") and all(c.split(": ")[1] in {"?", *"0123456789"} for c in captions)
    assert "a VAE" in vae.line.text() and "an autoencoder" in ae.line.text()

    # A morph from the drawing to a test digit, decoded by both along each one's own path.
    QTest.mouseClick(compare.morph_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: all(p.morph.tiles()[-1].image() is not None for p in compare.panes), timeout=60_000)
    assert all(p.plane.path_item.isVisible() for p in compare.panes)

    compare.close()
    qtbot.waitUntil(lambda: window.findChild(QWidget, "compare_view") is None, timeout=10_000)
    assert all(not client.is_running() for client in compare.clients)


def test_a_model_that_cannot_load_is_a_message_and_the_other_side_goes_on(qtbot, window, tmp_path) -> None:
    compare = window.show_compare()
    qtbot.waitUntil(lambda: all(info is not None for info in compare.infos), timeout=60_000)
    compare.choose(1, str(tmp_path / "missing.safetensors"))
    qtbot.waitUntil(lambda: "could not load" in compare.status.text(), timeout=30_000)
    assert compare.infos[0] is not None and compare.panes[0].plane.scatter_item.points().shape[0] > 0
    compare.close()
