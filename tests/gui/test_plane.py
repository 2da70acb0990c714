"""LatentPlane driven with real mouse and key events sent to its viewport."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import QApplication

from vaedesk.gui.plane.items import PinItem
from vaedesk.gui.plane.widget import LatentPlane
from vaedesk.gui.plotting.style import CLASS_COLORS

from tests.support.gui_input import send_mouse

LEFT, RIGHT, NONE = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton, Qt.MouseButton.NoButton
PRESS, MOVE, RELEASE = QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.MouseButtonRelease
# pyqtgraph drops mouse moves closer together than 10 ms (its mouseRateLimit).
MOVE_GAP_MS = 15


@pytest.fixture
def plane(qtbot) -> LatentPlane:
    widget = LatentPlane()
    qtbot.addWidget(widget)
    widget.resize(600, 600)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.wait(50)  # let the axes settle their widths before mapping coordinates
    return widget


def to_widget(plane: LatentPlane, x: float, y: float) -> QPointF:
    """Viewport position of plane point (x, y): view → scene → viewport."""
    scene_pos = plane.getPlotItem().getViewBox().mapViewToScene(QPointF(x, y))
    return QPointF(plane.mapFromScene(scene_pos))


def pixel_size(plane: LatentPlane) -> float:
    """Plane units per screen pixel (equal in x and y: the aspect ratio is locked)."""
    a, b = to_widget(plane, 0.0, 0.0), to_widget(plane, 1.0, 0.0)
    return 1.0 / (b.x() - a.x())


def click(qtbot, plane: LatentPlane, x: float, y: float, button: Qt.MouseButton = LEFT) -> None:
    pos = to_widget(plane, x, y)
    viewport = plane.viewport()
    send_mouse(viewport, MOVE, pos, NONE, NONE)  # hover first, as a real pointer does
    qtbot.wait(MOVE_GAP_MS)
    send_mouse(viewport, PRESS, pos, button, button)
    send_mouse(viewport, RELEASE, pos, button, NONE)


def drag(qtbot, plane: LatentPlane, start: tuple[float, float], end: tuple[float, float], steps: int = 8) -> None:
    viewport = plane.viewport()
    a, b = to_widget(plane, *start), to_widget(plane, *end)
    send_mouse(viewport, MOVE, a, NONE, NONE)
    qtbot.wait(MOVE_GAP_MS)
    send_mouse(viewport, PRESS, a, LEFT, LEFT)
    for t in np.linspace(0.0, 1.0, steps + 1)[1:]:
        qtbot.wait(MOVE_GAP_MS)
        send_mouse(viewport, MOVE, a + (b - a) * float(t), NONE, LEFT)
    send_mouse(viewport, RELEASE, b, LEFT, NONE)


def fake_scatter(n: int = 10_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 1.5, (10, 2))
    labels = np.arange(n) % 10
    return centres[labels] + rng.normal(0.0, 0.4, (n, 2)), labels


def test_initial_look(plane: LatentPlane) -> None:
    assert plane.objectName() == "latent_plane"
    x0, x1, y0, y1 = plane.view_rect()
    # About [-4, 4]²; the locked aspect ratio widens one axis to fit the widget.
    assert x0 <= -3.9 and x1 >= 3.9 and y0 <= -3.9 and y1 >= 3.9
    assert max(x1 - x0, y1 - y0) < 10
    assert plane.getPlotItem().getViewBox().state["aspectLocked"] == 1.0
    plane.set_axis_labels("PC1 (31% var)", "PC2 (20% var)")
    assert plane.getPlotItem().getAxis("bottom").labelText == "PC1 (31% var)"
    assert plane.getPlotItem().getAxis("left").labelText == "PC2 (20% var)"


def test_the_pixel_cache_holds_a_plane_with_its_layers(plane: LatentPlane) -> None:
    # Qt's 10 MB default evicted the cached layers of the planes and plots open together,
    # and the plane re-rendered everything in the middle of strokes.
    from PySide6.QtGui import QPixmapCache

    from vaedesk.gui.plotting.cached_pixels import PIXMAP_CACHE_KB

    assert QPixmapCache.cacheLimit() >= PIXMAP_CACHE_KB >= 64 * 1024


def test_the_same_axis_labels_again_do_not_redraw_the_axes(plane: LatentPlane, monkeypatch) -> None:
    # A training run's snapshots repeat the labels every few seconds; setting a label
    # re-lays out and redraws both axes.
    plane.set_axis_labels("z1", "z2")
    calls = []
    item = plane.getPlotItem()
    original = item.setLabel
    monkeypatch.setattr(item, "setLabel", lambda *args, **kwargs: calls.append(args) or original(*args, **kwargs))
    plane.set_axis_labels("z1", "z2")
    assert calls == []
    plane.set_axis_labels("PC1 (40% var)", "z2")
    assert [args[:2] for args in calls] == [("bottom", "PC1 (40% var)"), ("left", "z2")]
    assert plane.axis_labels() == ("PC1 (40% var)", "z2")


def test_click_on_empty_space_emits_plane_coordinates(qtbot, plane: LatentPlane) -> None:
    tolerance = 2 * pixel_size(plane)
    with qtbot.waitSignal(plane.clicked, timeout=1000) as blocker:
        click(qtbot, plane, 1.25, -2.0)
    x, y = blocker.args
    assert x == pytest.approx(1.25, abs=tolerance)
    assert y == pytest.approx(-2.0, abs=tolerance)


def test_click_over_scatter_still_counts_as_empty_space(qtbot, plane: LatentPlane) -> None:
    plane.set_scatter(np.zeros((50, 2)) + [0.5, 0.5], np.zeros(50, dtype=int))
    with qtbot.waitSignal(plane.clicked, timeout=1000):
        click(qtbot, plane, 0.5, 0.5)


def test_click_on_the_posterior_marks_still_counts_as_empty_space(qtbot, plane: LatentPlane) -> None:
    plane.set_posterior([0.5, 0.5], [[0.04, 0.0], [0.0, 0.04]], [[0.5, 0.5]])
    with qtbot.waitSignal(plane.clicked, timeout=1000):
        click(qtbot, plane, 0.5, 0.5)


def _dark_pixels_around(plane: LatentPlane, x: float, y: float, radius: int = 14) -> int:
    image = plane.viewport().grab().toImage()
    ratio = image.devicePixelRatio()
    centre = to_widget(plane, x, y)
    count = 0
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            px, py = round((centre.x() + dx) * ratio), round((centre.y() + dy) * ratio)
            if QColor(image.pixel(px, py)).lightness() < 100:
                count += 1
    return count


def test_posterior_marks_are_drawn_at_their_points_at_a_fixed_pixel_size(qtbot, plane: LatentPlane) -> None:
    plane.setRange(xRange=(-3, 3), yRange=(-3, 3), padding=0)
    qtbot.wait(50)
    assert _dark_pixels_around(plane, 1.0, 1.0) == 0  # nothing there yet
    plane.set_posterior([1.0, 1.0])  # an autoencoder's point: the mean's star alone
    qtbot.wait(50)
    star = _dark_pixels_around(plane, 1.0, 1.0)
    assert star > 20  # the star's outline, at the mean
    assert _dark_pixels_around(plane, -1.0, -1.0) == 0
    plane.setRange(xRange=(-0.5, 2.5), yRange=(-0.5, 2.5), padding=0)  # zoomed in twice
    qtbot.wait(50)
    assert _dark_pixels_around(plane, 1.0, 1.0) == pytest.approx(star, rel=0.2)  # the same size on screen
    plane.set_posterior(None)
    qtbot.wait(50)
    assert _dark_pixels_around(plane, 1.0, 1.0) == 0


def test_hover_emits_plane_coordinates_and_leaving(qtbot, plane: LatentPlane) -> None:
    tolerance = 2 * pixel_size(plane)
    with qtbot.waitSignal(plane.hovered, timeout=1000) as blocker:
        send_mouse(plane.viewport(), MOVE, to_widget(plane, -1.0, 2.5), NONE, NONE)
    assert blocker.args[0] == pytest.approx(-1.0, abs=tolerance)
    assert blocker.args[1] == pytest.approx(2.5, abs=tolerance)
    qtbot.wait(MOVE_GAP_MS)
    # Onto the left axis, outside the plotting area.
    with qtbot.waitSignal(plane.hover_left, timeout=1000):
        send_mouse(plane.viewport(), MOVE, QPointF(3.0, 300.0), NONE, NONE)
    # Leaving the widget also ends the hover.
    qtbot.wait(MOVE_GAP_MS)
    send_mouse(plane.viewport(), MOVE, to_widget(plane, 0.0, 0.0), NONE, NONE)
    with qtbot.waitSignal(plane.hover_left, timeout=1000):
        QApplication.sendEvent(plane, QEvent(QEvent.Type.Leave))


def test_clicking_a_pin_selects_it_without_a_plane_click(qtbot, plane: LatentPlane) -> None:
    plane.set_pins([(1, (1.0, 1.0))])
    clicks: list[tuple[float, float]] = []
    plane.clicked.connect(lambda x, y: clicks.append((x, y)))
    with qtbot.waitSignal(plane.pin_selected, timeout=1000) as blocker:
        click(qtbot, plane, 1.0, 1.0)
    assert blocker.args == [1]
    assert plane.selected_pin() == 1
    qtbot.wait(20)
    assert clicks == []


def test_dragging_a_pin_moves_it_and_does_not_pan(qtbot, plane: LatentPlane) -> None:
    other, pin = 1, 2
    plane.set_pins([(other, (-2.0, -2.0)), (pin, (1.0, 1.0))])
    before = plane.view_rect()
    changes: list[tuple[int, float, float]] = []
    plane.pin_dragged.connect(lambda *args: changes.append(args))
    with qtbot.waitSignal(plane.pin_moved, timeout=2000) as blocker:
        drag(qtbot, plane, (1.0, 1.0), (2.5, -1.5))
    tolerance = 3 * pixel_size(plane)
    pin_id, x, y = blocker.args
    assert pin_id == pin
    assert (x, y) == (pytest.approx(2.5, abs=tolerance), pytest.approx(-1.5, abs=tolerance))
    positions = dict(plane.pins())
    np.testing.assert_allclose(positions[pin], [x, y])
    np.testing.assert_allclose(positions[other], [-2.0, -2.0])
    assert plane.view_rect() == pytest.approx(before)
    assert changes and {pin_id for pin_id, _, _ in changes} == {pin}  # reported during the drag
    assert plane.selected_pin() == pin


def test_dragging_empty_space_pans_the_view(qtbot, plane: LatentPlane) -> None:
    plane.set_pins([(1, (1.0, 1.0))])
    before = plane.view_rect()
    drag(qtbot, plane, (-2.0, -2.0), (-1.0, -2.0))
    after = plane.view_rect()
    # The content follows the pointer: the view moved left by about one unit.
    assert after[0] == pytest.approx(before[0] - 1.0, abs=0.1)
    np.testing.assert_allclose(plane.pins()[0][1], [1.0, 1.0])


def test_wheel_zooms(qtbot, plane: LatentPlane) -> None:
    before = plane.view_rect()
    pos = to_widget(plane, 0.0, 0.0)
    event = QWheelEvent(
        pos,
        plane.viewport().mapToGlobal(pos),
        QPoint(0, 0),
        QPoint(0, 240),
        NONE,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(plane.viewport(), event)
    after = plane.view_rect()
    assert after[1] - after[0] < before[1] - before[0]


def test_an_owner_can_remove_a_pin_when_asked(qtbot, plane: LatentPlane) -> None:
    plane.set_pins([(1, (-1.0, 0.0)), (2, (1.5, 0.5)), (3, (0.5, -0.5)), (4, (-2.0, 2.0))])
    requested: list[int] = []

    def remove(pin_id: int) -> None:  # as the window does: the request, then set_pins
        requested.append(pin_id)
        plane.set_pins([(other, xy) for other, xy in plane.pins() if other != pin_id])

    plane.pin_remove_requested.connect(remove)
    with qtbot.waitSignal(plane.pin_remove_requested, timeout=1000):
        click(qtbot, plane, 1.5, 0.5, RIGHT)
    assert requested == [2] and [pin_id for pin_id, _ in plane.pins()] == [1, 3, 4]
    assert [plane.pin_item(pin_id).number for pin_id in (1, 3, 4)] == [1, 2, 3]
    with qtbot.waitSignal(plane.pin_selected, timeout=1000):
        click(qtbot, plane, 0.5, -0.5)
    with qtbot.waitSignal(plane.pin_remove_requested, timeout=1000) as blocker:
        qtbot.keyClick(plane, Qt.Key.Key_Delete)
    assert blocker.args == [3]
    assert [pin_id for pin_id, _ in plane.pins()] == [1, 4] and plane.selected_pin() is None
    assert len(markers_in_scene(plane)) == 2  # the removed markers left the scene
    # Nothing selected any more: Backspace asks for nothing.
    with qtbot.assertNotEmitted(plane.pin_remove_requested, wait=50):
        qtbot.keyClick(plane, Qt.Key.Key_Backspace)


def shown(plane: LatentPlane) -> list[tuple[int, int, list[float]]]:
    """(id, number, xy) of every pin shown, in order."""
    return [(pin_id, plane.pin_item(pin_id).number, list(xy)) for pin_id, xy in plane.pins()]


def markers_in_scene(plane: LatentPlane) -> list[PinItem]:
    return [item for item in plane.scene().items() if isinstance(item, PinItem)]


def test_set_pins_shows_exactly_the_given_pins_and_reuses_their_markers(plane: LatentPlane) -> None:
    plane.set_pins([(7, (0.0, 1.0)), (3, np.array([2.0, -1.0])), (9, [-3.0, 0.5])])
    assert shown(plane) == [(7, 1, [0.0, 1.0]), (3, 2, [2.0, -1.0]), (9, 3, [-3.0, 0.5])]
    marker_7, marker_3 = plane.pin_item(7), plane.pin_item(3)
    plane.set_selected_pin(3)
    # Reordered, one moved, one removed, one new: numbers follow the new order.
    plane.set_pins([(3, (2.0, -1.0)), (12, (1.0, 1.0)), (7, (0.5, 0.5))])
    assert shown(plane) == [(3, 1, [2.0, -1.0]), (12, 2, [1.0, 1.0]), (7, 3, [0.5, 0.5])]
    assert plane.pin_item(3) is marker_3 and plane.pin_item(7) is marker_7
    assert plane.selected_pin() == 3 and marker_3.selected and not plane.pin_item(12).selected
    with pytest.raises(KeyError):
        plane.pin_item(9)
    assert len(markers_in_scene(plane)) == 3  # the removed marker left the scene
    # The selection goes with its pin.
    plane.set_pins([(7, (0.5, 0.5))])
    assert plane.selected_pin() is None and shown(plane) == [(7, 1, [0.5, 0.5])]
    plane.set_pins([])
    assert plane.pins() == [] and markers_in_scene(plane) == []


def test_set_pins_refuses_bad_input_and_changes_nothing(plane: LatentPlane) -> None:
    plane.set_pins([(1, (0.0, 0.0))])
    with pytest.raises(ValueError):
        plane.set_pins([(2, (0.0, 0.0)), (2, (1.0, 1.0))])
    with pytest.raises(ValueError):
        plane.set_pins([(2, (0.0, 0.0)), (3, (np.nan, 1.0))])
    assert shown(plane) == [(1, 1, [0.0, 0.0])]


def test_dragging_a_pin_reports_its_position_at_about_25_hz(qtbot, plane: LatentPlane) -> None:
    plane.set_pins([(4, (-2.0, 2.0)), (5, (1.0, 1.0))])
    dragged: list[tuple[int, float, float]] = []
    plane.pin_dragged.connect(lambda *args: dragged.append(args))
    with qtbot.waitSignal(plane.pin_moved, timeout=2000) as blocker:
        drag(qtbot, plane, (1.0, 1.0), (3.0, 1.0), steps=16)  # 16 moves over ~240 ms
    assert blocker.args[0] == 5 and blocker.args[1] == pytest.approx(3.0, abs=3 * pixel_size(plane))
    # Throttled: fewer reports than moves, each on the way from (1, 1) to (3, 1).
    assert 2 <= len(dragged) < 16
    tolerance = 3 * pixel_size(plane)
    for pin_id, x, y in dragged:
        assert pin_id == 5 and 1.0 - tolerance <= x <= 3.0 + tolerance and y == pytest.approx(1.0, abs=tolerance)
    assert [x for _, x, _ in dragged] == sorted(x for _, x, _ in dragged)
    with qtbot.assertNotEmitted(plane.pin_dragged, wait=100):
        pass  # nothing after the drag ended


def test_set_pins_during_a_drag_leaves_the_dragged_pin_under_the_pointer(qtbot, plane: LatentPlane) -> None:
    plane.set_pins([(1, (1.0, 1.0)), (2, (-2.0, -2.0))])
    marker = plane.pin_item(1)
    viewport = plane.viewport()
    a, b = to_widget(plane, 1.0, 1.0), to_widget(plane, 2.0, -1.0)
    send_mouse(viewport, MOVE, a, NONE, NONE)
    qtbot.wait(MOVE_GAP_MS)
    send_mouse(viewport, PRESS, a, LEFT, LEFT)
    for t in (0.25, 0.5):
        qtbot.wait(MOVE_GAP_MS)
        send_mouse(viewport, MOVE, a + (b - a) * t, NONE, LEFT)
    # The owner sends back a stale position of the dragged pin and moves the other one.
    plane.set_pins([(2, (-1.0, -2.0)), (1, (1.0, 1.0))])
    tolerance = 3 * pixel_size(plane)
    assert plane.pin_item(1) is marker and plane.selected_pin() == 1
    np.testing.assert_allclose(dict(plane.pins())[1], [1.5, 0.0], atol=tolerance)
    np.testing.assert_allclose(dict(plane.pins())[2], [-1.0, -2.0])
    with qtbot.waitSignal(plane.pin_moved, timeout=1000) as blocker:
        for t in (0.75, 1.0):
            qtbot.wait(MOVE_GAP_MS)
            send_mouse(viewport, MOVE, a + (b - a) * t, NONE, LEFT)
        send_mouse(viewport, RELEASE, b, LEFT, NONE)
    pin_id, x, y = blocker.args
    assert pin_id == 1 and (x, y) == (pytest.approx(2.0, abs=tolerance), pytest.approx(-1.0, abs=tolerance))
    assert shown(plane)[1][:2] == (1, 2)  # the order given, not the order dragged


def test_a_removed_pin_being_dragged_reports_nothing(qtbot, plane: LatentPlane) -> None:
    plane.set_pins([(1, (1.0, 1.0))])
    viewport = plane.viewport()
    a = to_widget(plane, 1.0, 1.0)
    send_mouse(viewport, MOVE, a, NONE, NONE)
    qtbot.wait(MOVE_GAP_MS)
    send_mouse(viewport, PRESS, a, LEFT, LEFT)
    qtbot.wait(MOVE_GAP_MS)
    send_mouse(viewport, MOVE, a + QPointF(10.0, 0.0), NONE, LEFT)
    plane.set_pins([])  # e.g. the owner's undo
    with qtbot.assertNotEmitted(plane.pin_moved), qtbot.assertNotEmitted(plane.pin_dragged, wait=80):
        qtbot.wait(MOVE_GAP_MS)
        send_mouse(viewport, MOVE, a + QPointF(20.0, 0.0), NONE, LEFT)
        send_mouse(viewport, RELEASE, a + QPointF(20.0, 0.0), LEFT, NONE)
    assert plane.pins() == []


def test_a_right_click_or_delete_only_requests_removal(qtbot, plane: LatentPlane) -> None:
    plane.set_pins([(1, (-1.0, 0.0)), (2, (1.5, 0.5))])
    clicks: list[tuple[float, float]] = []
    plane.clicked.connect(lambda x, y: clicks.append((x, y)))
    with qtbot.waitSignal(plane.pin_remove_requested, timeout=1000) as blocker:
        click(qtbot, plane, 1.5, 0.5, RIGHT)
    assert blocker.args == [2]
    assert [pin_id for pin_id, _ in plane.pins()] == [1, 2]  # the owner decides
    with qtbot.waitSignal(plane.pin_selected, timeout=1000):
        click(qtbot, plane, -1.0, 0.0)
    with qtbot.waitSignal(plane.pin_remove_requested, timeout=1000) as blocker:
        qtbot.keyClick(plane, Qt.Key.Key_Delete)
    assert blocker.args == [1]
    qtbot.wait(20)
    assert [pin_id for pin_id, _ in plane.pins()] == [1, 2] and clicks == []


def test_the_plane_listens_to_its_pin_items_signals(qtbot, plane: LatentPlane) -> None:
    plane.set_pins([(1, (0.0, 0.0)), (2, (1.0, 1.0))])
    item = plane.pin_item(2)
    assert isinstance(item, PinItem)
    with qtbot.waitSignal(plane.pin_selected, timeout=500) as blocker:
        item.clicked.emit(item)
    assert blocker.args == [2] and item.selected
    with qtbot.waitSignal(plane.pin_remove_requested, timeout=500) as blocker:
        item.right_clicked.emit(item)
    assert blocker.args == [2]
    item.pressed.emit(item)
    item.setPos(QPointF(2.0, -1.0))
    with qtbot.waitSignal(plane.pin_dragged, timeout=500) as blocker:
        item.dragged.emit(item, False)
    assert blocker.args == [2, 2.0, -1.0]
    with qtbot.waitSignal(plane.pin_moved, timeout=500) as blocker:
        item.dragged.emit(item, True)
    assert blocker.args == [2, 2.0, -1.0]
    # A marker that is no longer shown is not listened to.
    plane.set_pins([(1, (0.0, 0.0))])
    with qtbot.assertNotEmitted(plane.pin_selected), qtbot.assertNotEmitted(plane.pin_remove_requested, wait=50):
        item.clicked.emit(item)
        item.right_clicked.emit(item)


def test_scatter_of_ten_thousand_points(plane: LatentPlane) -> None:
    xy, labels = fake_scatter()
    plane.set_scatter(xy, labels)
    assert len(plane.scatter_item.points()) == 10_000
    assert [label.text for _, label in plane.legend.items] == [str(k) for k in range(10)]
    assert plane.legend.isVisible()
    # Scatter sits below every other layer.
    others = [plane.manifold_item, plane.mean_item, plane.samples_item, plane.path_item, *plane.ellipse_items]
    assert plane.scatter_item.zValue() < min(o.zValue() for o in others)

    plane.reset_view()
    x0, x1, y0, y1 = plane.view_rect()  # every point, with a small margin
    assert x0 < xy[:, 0].min() and x1 > xy[:, 0].max() and y0 < xy[:, 1].min() and y1 > xy[:, 1].max()
    assert min(x1 - x0, y1 - y0) < 1.2 * max(np.ptp(xy[:, 0]), np.ptp(xy[:, 1]))

    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    plane.set_scatter(xy[:100], labels[:100], names)
    assert [label.text for _, label in plane.legend.items] == names
    plane.clear_scatter()
    assert len(plane.scatter_item.points()) == 0 and plane.legend.items == []
    plane.reset_view()
    assert plane.view_rect()[0] == pytest.approx(-4.0, abs=1.5)


def test_legend_click_toggles_a_class(qtbot, plane: LatentPlane) -> None:
    xy, labels = fake_scatter(200)
    plane.set_scatter(xy, labels)
    qtbot.wait(20)  # let the legend lay itself out
    sample, _label = plane.legend.items[3]
    pos = QPointF(plane.mapFromScene(sample.sceneBoundingRect().center()))
    clicks: list[tuple[float, float]] = []
    plane.clicked.connect(lambda x, y: clicks.append((x, y)))
    send_mouse(plane.viewport(), MOVE, pos, NONE, NONE)
    qtbot.wait(MOVE_GAP_MS)
    send_mouse(plane.viewport(), PRESS, pos, LEFT, LEFT)
    send_mouse(plane.viewport(), RELEASE, pos, LEFT, NONE)
    assert plane.visible_classes() == [0, 1, 2, 4, 5, 6, 7, 8, 9]
    shown = plane.scatter_item.points()[plane.scatter_item.visible_points()]
    np.testing.assert_array_equal(np.sort(shown, axis=0), np.sort(xy[labels != 3], axis=0))
    assert clicks == []  # a legend click is not a click on the plane
    # New points with the same classes (a training run re-encoding): class 3 stays hidden.
    legend_items = list(plane.legend.items)
    moved = xy + 1.0
    plane.set_scatter(moved, labels)
    assert plane.legend.items == legend_items and plane.visible_classes() == [0, 1, 2, 4, 5, 6, 7, 8, 9]
    shown = plane.scatter_item.points()[plane.scatter_item.visible_points()]
    np.testing.assert_array_equal(np.sort(shown, axis=0), np.sort(moved[labels != 3], axis=0))


def test_prior_circles(plane: LatentPlane) -> None:
    plane.show_prior((1.0, -1.0))
    for k, circle in enumerate(plane.prior_circles, start=1):
        centre = circle.mapToItem(plane.getPlotItem().getViewBox().childGroup, circle.rect().center())
        assert (centre.x(), centre.y()) == pytest.approx((1.0, -1.0))
        assert circle.rect().width() == pytest.approx(2 * k) and circle.rect().height() == pytest.approx(2 * k)
        assert circle.isVisible()
    assert [label.textItem.toPlainText() for label in plane.prior_labels] == ["1σ", "2σ", "3σ"]
    plane.show_prior(show=False)
    assert not any(c.isVisible() for c in plane.prior_circles)
    assert not any(label.isVisible() for label in plane.prior_labels)


def test_posterior_with_and_without_covariance(plane: LatentPlane) -> None:
    mean = np.array([0.5, -1.0])
    cov = np.array([[0.3, 0.1], [0.1, 0.2]])
    samples = np.random.default_rng(1).normal(size=(8, 2))
    plane.set_posterior(mean, cov, samples)
    assert all(e.isVisible() for e in plane.ellipse_items)
    for k, ellipse in enumerate(plane.ellipse_items, start=1):
        # Drawn in plane coordinates: every vertex lies on the k-sigma ellipse x' cov^-1 x = k^2.
        poly = ellipse.transform().map(ellipse.polygon())
        points = np.array([[poly[i].x(), poly[i].y()] for i in range(poly.size())]) - mean
        mahalanobis = np.einsum("ni,ij,nj->n", points, np.linalg.inv(cov), points)
        np.testing.assert_allclose(mahalanobis, k**2, rtol=1e-6)
        np.testing.assert_allclose(points[:-1].mean(axis=0), 0, atol=1e-9)  # last repeats first
    np.testing.assert_array_equal(plane.samples_item.points(), samples)
    np.testing.assert_array_equal(plane.mean_item.points(), [[0.5, -1.0]])

    plane.set_posterior(mean)  # a plain autoencoder: a point only
    assert not any(e.isVisible() for e in plane.ellipse_items)
    assert len(plane.mean_item.points()) == 1 and len(plane.samples_item.points()) == 0

    plane.set_posterior(None)
    assert len(plane.mean_item.points()) == 0


def test_mean_is_drawn_above_pins(plane: LatentPlane) -> None:
    plane.set_pins([(1, (0.0, 0.0))])
    assert plane.mean_item.zValue() > plane.pin_item(1).zValue()


def test_manifold_is_placed_at_its_rectangle(plane: LatentPlane) -> None:
    image = np.zeros((56, 84))
    image[0, 0] = 1.0  # ink in the top-left corner of the tile
    plane.set_manifold(image, (-3.0, 3.0), (-2.0, 2.0))
    assert plane.manifold_rect() == pytest.approx((-3.0, 3.0, -2.0, 2.0))
    item = plane.manifold_item
    assert item.isVisible() and item.opacity() == pytest.approx(0.85)
    assert item.zValue() > plane.scatter_item.zValue()
    assert item.zValue() < plane.mean_item.zValue()
    # The inked pixel must land at the top-left of the rectangle (y grows upwards).
    height, width = item.image.shape[:2]
    top_left = item.mapToParent(QPointF(0.5, height - 0.5))
    assert (top_left.x(), top_left.y()) == (pytest.approx(-3.0, abs=0.1), pytest.approx(2.0, abs=0.1))
    assert item.image[height - 1, 0, 3] == 255 and item.image[0, 0, 3] < 255
    plane.set_manifold(None, (-3.0, 3.0), (-2.0, 2.0))
    assert plane.manifold_rect() is None


def test_view_changed_is_debounced(qtbot, plane: LatentPlane) -> None:
    received: list[tuple[float, ...]] = []
    plane.view_changed.connect(lambda *args: received.append(args))
    vb = plane.getPlotItem().getViewBox()
    with qtbot.waitSignal(plane.view_changed, timeout=1000):
        vb.setRange(xRange=(-1.0, 1.0), yRange=(-1.0, 1.0), padding=0.0)
        vb.setRange(xRange=(-2.0, 2.0), yRange=(-2.0, 2.0), padding=0.0)
    qtbot.wait(150)
    assert len(received) == 1  # two range changes, one notification
    assert received[0] == pytest.approx(plane.view_rect())
    x0, x1, y0, y1 = received[0]
    assert x0 <= -1.99 and x1 >= 1.99 and y0 <= -1.99 and y1 >= 1.99


def test_path_and_marker(plane: LatentPlane) -> None:
    path = np.array([[0.0, 0.0], [1.0, 0.5], [2.0, -1.0]])
    plane.set_path(path)
    x, y = plane.path_item.getData()
    np.testing.assert_allclose(np.stack([x, y], axis=1), path)
    plane.set_path_marker(path[1])
    assert len(plane.path_marker.data) == 1
    plane.set_path(None)
    plane.set_path_marker(None)
    assert plane.path_item.getData()[0] is None or len(plane.path_item.getData()[0]) == 0
    assert len(plane.path_marker.data) == 0


def test_hover_marker(plane: LatentPlane) -> None:
    plane.set_hover_marker((1.0, 2.0))
    assert len(plane.hover_marker.data) == 1
    plane.set_hover_marker(None)
    assert len(plane.hover_marker.data) == 0


def test_bad_input_is_refused(plane: LatentPlane) -> None:
    with pytest.raises(ValueError):
        plane.set_scatter(np.zeros((3, 2)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError):
        plane.set_pins([(1, (1.0, 2.0, 3.0))])
    with pytest.raises(ValueError):
        plane.set_manifold(np.zeros((4, 4)), (1.0, 0.0), (0.0, 1.0))


def test_scatter_dots_are_drawn_in_their_class_colour(qtbot, plane: LatentPlane) -> None:
    # Three far-apart clusters of one class each, then look at the pixels under them.
    xy = np.repeat([[-2.0, -2.0], [0.0, 1.5], [2.0, -1.0]], 30, axis=0)
    labels = np.repeat([1, 4, 7], 30)
    plane.resize(400, 400)
    plane.show()
    plane.set_scatter(xy, labels)
    plane.setRange(xRange=(-3, 3), yRange=(-3, 3), padding=0)
    qtbot.wait(50)
    image = plane.grab().toImage()
    view_box = plane.getPlotItem().getViewBox()
    for (x, y), label in zip(xy[::30], labels[::30], strict=True):
        pos = plane.mapFromScene(view_box.mapViewToScene(QPointF(x, y)))
        around = [image.pixelColor(pos.x() + dx, pos.y() + dy).getRgb()[:3]
                  for dx in (-2, -1, 0, 1) for dy in (-2, -1, 0, 1)]
        # Alpha 150 over the white background.
        expected = np.array([round(c * 150 / 255 + 255 * (1 - 150 / 255)) for c in CLASS_COLORS[label]])
        assert np.abs(np.array(around) - expected).max(axis=1).min() <= 3, (label, around)


def test_rasterize_dots_clips_and_lets_later_points_cover_earlier_ones() -> None:
    from vaedesk.gui.plane.items import rasterize_dots

    px, py = np.array([5.2, 5.7, -10.0, 9.5]), np.array([5.0, 5.0, 3.0, 0.2])
    image = rasterize_dots(px, py, np.array([1, 2, 3, 4], np.uint32), 10, 8)
    assert image.shape == (8, 10)
    assert image[5, 5] == 2  # the second dot covers the first
    assert (image == 3).sum() == 0  # off the image
    assert 0 < (image == 4).sum() < 12  # clipped at the border
    assert (image == 2).sum() == 12  # a dot 4 pixels across


def test_density_shading_and_lens_outline(plane):
    density = np.zeros((8, 8))
    density[1, 6] = 4.0  # top-right region
    plane.set_density(density, (-2.0, 2.0, -2.0, 2.0))
    item = plane.density_item
    assert item.isVisible()
    rect = item.mapRectToParent(item.boundingRect())
    assert (rect.left(), rect.right(), rect.top(), rect.bottom()) == pytest.approx((-2, 2, -2, 2))
    alpha = item.image[..., 3]  # stored bottom row first (y up)
    assert alpha[6, 6] == alpha.max() > 0 and alpha[1, 1] == 0
    plane.set_density(None)
    assert not item.isVisible()
    with pytest.raises(ValueError):
        plane.set_density(np.full((2, 2), np.nan))
    plane.set_lens_rect((0.5, 1.0, -1.0, -0.5))
    x, y = plane.lens_rect_item.getData()
    assert plane.lens_rect_item.isVisible() and (x.min(), x.max(), y.min(), y.max()) == (0.5, 1.0, -1.0, -0.5)
    plane.set_lens_rect(None)
    assert not plane.lens_rect_item.isVisible()


def test_follow_scatter_can_keep_the_prior_in_the_frame(plane: LatentPlane) -> None:
    rng = np.random.default_rng(0)
    view = plane.getPlotItem().getViewBox()
    # A young VAE's cloud, all near the origin: the frame still shows [-3, 3]².
    plane.set_scatter(rng.normal(scale=0.2, size=(300, 2)), rng.integers(0, 10, 300))
    plane.follow_scatter(keep_reach=3.0)
    (x0, x1), (y0, y1) = view.viewRange()
    assert x0 <= -3 and x1 >= 3 and y0 <= -3 and y1 >= 3
    # The cloud grows inside it: the range (so the axes) stays as it was.
    shown = view.viewRange()
    plane.set_scatter(rng.normal(scale=1.0, size=(300, 2)), rng.integers(0, 10, 300))
    plane.follow_scatter(keep_reach=3.0)
    assert view.viewRange() == shown
    # Without it (a plain autoencoder) the view closes in on a small cloud.
    plane.set_scatter(rng.normal(scale=0.2, size=(300, 2)), rng.integers(0, 10, 300))
    plane.follow_scatter()
    (x0, x1), _ = view.viewRange()
    assert x1 - x0 < 3
