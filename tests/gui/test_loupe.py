"""The posterior loupe: the drawing's distribution enlarged on the plane while it is too small
to see, with its stated magnification, scale bar and numbered samples."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget

from vaedesk.data.sketches import draw_digit
from vaedesk.gui.plane.loupe import VISIBLE_PX, frame_loupe, nice_floor
from vaedesk.gui.plane.widget import LatentPlane
from vaedesk.latent.geometry import ellipse_axes

from tests.support.gui_input import draw_strokes
from tests.support.windows import wait_for_final_posterior


@pytest.mark.parametrize(("value", "expected"), [(1.0, 1.0), (2.9, 2.0), (3.0, 3.0), (47.0, 30.0), (51.0, 50.0),
                                                 (0.07, 0.05), (999.0, 500.0)])
def test_magnifications_are_round_and_never_more_than_asked(value: float, expected: float) -> None:
    assert nice_floor(value) == pytest.approx(expected)


def test_the_inset_takes_the_free_corner_farthest_from_the_mean_and_fits_the_posterior() -> None:
    area = QRectF(0, 0, 600, 500)
    legend = QRectF(480, 10, 110, 150)  # upper right
    frame = frame_loupe(QPointF(100, 100), reach_units=0.05, plane_pixels_per_unit=60.0, area=area, avoid=legend)
    assert frame.inset.center().x() > 300 and frame.inset.center().y() > 250  # lower right: farthest from μ
    assert area.contains(frame.inset) and not frame.inset.intersects(legend)
    assert frame.magnification == nice_floor(frame.magnification)
    assert frame.pixels_per_unit == pytest.approx(frame.magnification * 60.0)
    assert 0.05 * frame.pixels_per_unit <= frame.inset.width() / 2  # the reach fits
    assert 0.05 * frame.pixels_per_unit >= frame.inset.width() / 2 / 5 - 8  # and is not lost in it
    bar = frame.scale_bar_units * frame.pixels_per_unit
    assert 0.1 * frame.inset.width() < bar < 0.6 * frame.inset.width()
    # The mean's own corner is never the one chosen; with the legend elsewhere the upper right is fine.
    other = frame_loupe(QPointF(100, 400), 0.05, 60.0, area, avoid=None)
    assert other.inset.center().x() > 300 and other.inset.center().y() < 250


def test_the_loupe_shows_only_a_distribution_too_small_to_see(qtbot) -> None:
    plane = LatentPlane()
    qtbot.addWidget(plane)
    plane.resize(500, 500)
    plane.show()
    qtbot.waitExposed(plane)
    loupe = plane.loupe
    assert plane.findChild(QWidget, "posterior_loupe") is loupe
    plane.set_posterior((0.5, 0.5), np.diag([0.02, 0.01]) ** 2, [(0.52, 0.5), (0.49, 0.51)])
    assert loupe.is_shown() and loupe.caption().startswith("posterior ×")
    points = loupe.sample_points()
    assert len(points) == 2 and all(loupe.frame.inset.contains(p) for p in points)
    plane.set_posterior((0.5, 0.5), np.diag([0.5, 0.4]) ** 2, [(0.9, 0.5)])  # wide: seen on the plane itself
    assert not loupe.is_shown()
    plane.set_posterior((0.5, 0.5), None)  # an autoencoder's point: nothing to enlarge
    assert not loupe.is_shown()
    plane.set_posterior((0.5, 0.5), np.diag([0.02, 0.01]) ** 2)
    assert loupe.is_shown()
    plane.set_posterior(None)
    assert not loupe.is_shown()


def _wheel(plane: LatentPlane, pos: QPointF, clicks: int = 1) -> None:
    event = QWheelEvent(pos, plane.viewport().mapToGlobal(pos), QPoint(0, 0), QPoint(0, 120 * clicks),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(plane.viewport(), event)


@pytest.mark.slow
def test_a_drawing_at_the_default_size_shows_its_ellipses_and_numbered_samples(qtbot, window) -> None:
    """Drawn with real mouse events, the digit's posterior (σ a hundredth of the view) appears in
    the loupe without zooming; zoomed in with the wheel until it is visible, the loupe goes."""
    draw_strokes(qtbot, window.canvas, draw_digit(3, np.random.default_rng(3)))
    result = wait_for_final_posterior(qtbot, window)
    loupe = window.plane.loupe
    qtbot.waitUntil(lambda: loupe.is_shown(), timeout=5_000)
    frame = loupe.frame
    assert frame is not None and frame.magnification >= 5
    # In the loupe the 2σ ellipse is well over what can be seen; on the plane it is not.
    half_axis = np.linalg.norm(ellipse_axes(result.cov_xy, 2.0), axis=0).max()
    assert half_axis * frame.pixels_per_unit > 2 * VISIBLE_PX
    assert half_axis * frame.pixels_per_unit / frame.magnification < VISIBLE_PX
    # Each sample is numbered in the inset as its decoding is under the readout.
    points = loupe.sample_points()
    assert len(points) == len(result.samples_xy) > 1
    assert all(frame.inset.contains(p) for p in points)
    qtbot.waitUntil(lambda: window.samples.tiles()[0].caption() == "1", timeout=5_000)
    assert [tile.caption() for tile in window.samples.tiles()] == [str(k) for k in range(1, len(points) + 1)]
    # Its samples decode alike, and the window says why.
    note = window.posterior_panel.samples_note
    qtbot.waitUntil(lambda: "smaller than the prior's" in note.text(), timeout=5_000)
    assert "decode alike" in note.text()
    # Zoomed in on μ with the wheel until the ellipse can be seen, the loupe is no longer needed.
    for _ in range(40):
        if not loupe.is_shown():
            break
        centre = window.plane.loupe.frame.mean_px if loupe.frame is not None else QPointF(100, 100)
        _wheel(window.plane, centre, 2)
        qtbot.wait(5)
    assert not loupe.is_shown()
    width = window.plane.view_rect()[1] - window.plane.view_rect()[0]
    assert width < 1.0  # it took real zooming: the default view is about 8 units wide
