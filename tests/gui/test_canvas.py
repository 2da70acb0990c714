"""DrawingCanvas driven with real mouse and tablet events."""

from __future__ import annotations

import gc
import sys

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QPointF, Qt
from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtWidgets import QApplication

from vaedesk.data.sketches import synthetic_drawings
from vaedesk.data.strokes import DEFAULT_PEN_WIDTH, MAX_POINTS, preprocess_strokes
from vaedesk.errors import DrawingError
from vaedesk.gui.widgets.canvas import CANVAS_SIZE, DrawingCanvas

from tests.support.gui_input import draw_strokes, send_mouse

LEFT, NONE = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton


@pytest.fixture
def canvas(qtbot) -> DrawingCanvas:
    widget = DrawingCanvas()
    qtbot.addWidget(widget)
    widget.resize(280, 280)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture(scope="module")
def seven() -> list[np.ndarray]:
    drawings, labels = synthetic_drawings(1, seed=3)
    return drawings[int(np.flatnonzero(labels == 7)[0])]


def _assert_same_drawing(got: list[np.ndarray], want: list[np.ndarray], tol: float = 1e-6) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == np.float64 and g.shape == w.shape
        np.testing.assert_allclose(g, w, atol=tol)


def _record(signal) -> list:
    got: list = []
    signal.connect(lambda *args: got.append(args[0] if args else None))
    return got


def test_drawing_a_seven_with_real_mouse_events(canvas: DrawingCanvas, qtbot, seven) -> None:
    changed, finished = _record(canvas.drawing_changed), _record(canvas.stroke_finished)
    moves = draw_strokes(qtbot, canvas, seven)
    _assert_same_drawing(canvas.strokes(), seven)
    assert moves == sum(len(s) - 1 for s in seven)
    # One emission per press, per move and per release.
    assert len(changed) == moves + 2 * len(seven)
    assert len(finished) == len(seven)
    _assert_same_drawing(finished[-1], seven)
    _assert_same_drawing(changed[-1], seven)
    assert not canvas.is_empty() and not canvas.is_drawing()


def test_move_payloads_include_the_stroke_in_progress(canvas: DrawingCanvas) -> None:
    changed = _record(canvas.drawing_changed)
    points = [(50.0, 60.0), (70.5, 80.25), (90.0, 120.0)]
    send_mouse(canvas, QEvent.Type.MouseButtonPress, canvas.from_canvas(*points[0]), LEFT, LEFT)
    assert canvas.is_drawing()
    np.testing.assert_allclose(changed[-1][0], [points[0]])
    for i, p in enumerate(points[1:], start=2):
        send_mouse(canvas, QEvent.Type.MouseMove, canvas.from_canvas(*p), NONE, LEFT)
        np.testing.assert_allclose(changed[-1][0], points[:i])
    assert len(changed) == 3
    assert not canvas.can_undo()  # the stroke is not an undo step until the pen lifts
    # Payloads are copies: changing one does not touch the canvas.
    payload = changed[-1]
    payload[0][:] = 0.0
    np.testing.assert_allclose(canvas.strokes()[0], points)
    send_mouse(canvas, QEvent.Type.MouseButtonRelease, canvas.from_canvas(*points[-1]), LEFT, NONE)
    assert not canvas.is_drawing() and canvas.can_undo()
    np.testing.assert_allclose(canvas.strokes()[0], points)


def test_ignored_input(canvas: DrawingCanvas, qtbot) -> None:
    changed = _record(canvas.drawing_changed)
    # A move with no stroke in progress, a right-button press and a stray release.
    assert not send_mouse(canvas, QEvent.Type.MouseMove, QPointF(100, 100), NONE, LEFT)
    assert not send_mouse(canvas, QEvent.Type.MouseButtonPress, QPointF(100, 100), Qt.MouseButton.RightButton,
                          Qt.MouseButton.RightButton)
    send_mouse(canvas, QEvent.Type.MouseMove, QPointF(120, 120), NONE, Qt.MouseButton.RightButton)
    send_mouse(canvas, QEvent.Type.MouseButtonRelease, QPointF(120, 120), LEFT, NONE)
    assert changed == [] and canvas.is_empty()
    # On a wide widget a press beside the paper starts nothing.
    canvas.resize(500, 300)
    qtbot.wait(1)
    assert not send_mouse(canvas, QEvent.Type.MouseButtonPress, QPointF(20, 150), LEFT, LEFT)
    assert canvas.is_empty()


def test_points_dragged_off_the_paper_are_clamped(canvas: DrawingCanvas) -> None:
    send_mouse(canvas, QEvent.Type.MouseButtonPress, canvas.from_canvas(200, 140), LEFT, LEFT)
    send_mouse(canvas, QEvent.Type.MouseMove, canvas.from_canvas(400, -30), NONE, LEFT)
    send_mouse(canvas, QEvent.Type.MouseButtonRelease, canvas.from_canvas(400, -30), LEFT, NONE)
    np.testing.assert_allclose(canvas.strokes()[0], [(200, 140), (CANVAS_SIZE, 0)])


def test_single_click_makes_a_dot(canvas: DrawingCanvas) -> None:
    pos = canvas.from_canvas(140, 140)
    send_mouse(canvas, QEvent.Type.MouseButtonPress, pos, LEFT, LEFT)
    send_mouse(canvas, QEvent.Type.MouseButtonRelease, pos, LEFT, NONE)
    np.testing.assert_allclose(canvas.strokes()[0], [(140, 140)])


def test_undo_redo_clear_set_strokes(canvas: DrawingCanvas, qtbot, seven) -> None:
    history = _record(canvas.history_changed)
    changed = _record(canvas.drawing_changed)
    assert not canvas.can_undo() and not canvas.can_redo()
    a = [np.array([[10.0, 10.0], [50.0, 60.0]])]
    b = [np.array([[100.0, 100.0], [150.0, 200.0], [120.0, 250.0]])]
    draw_strokes(qtbot, canvas, a)
    draw_strokes(qtbot, canvas, b)
    _assert_same_drawing(canvas.strokes(), a + b)
    assert len(history) == 2

    canvas.undo()
    _assert_same_drawing(canvas.strokes(), a)
    _assert_same_drawing(changed[-1], a)
    assert canvas.can_undo() and canvas.can_redo()
    canvas.redo()
    _assert_same_drawing(canvas.strokes(), a + b)
    assert not canvas.can_redo()

    canvas.clear()
    assert canvas.is_empty() and changed[-1] == []
    canvas.clear()  # already empty: not another undo step
    canvas.undo()
    _assert_same_drawing(canvas.strokes(), a + b)

    canvas.set_strokes(seven)
    _assert_same_drawing(canvas.strokes(), seven)
    _assert_same_drawing(changed[-1], seven)
    canvas.undo()
    _assert_same_drawing(canvas.strokes(), a + b)
    canvas.undo()
    canvas.undo()
    assert canvas.is_empty() and not canvas.can_undo()
    canvas.undo()  # nothing left: harmless
    for _ in range(4):
        canvas.redo()
    _assert_same_drawing(canvas.strokes(), seven)
    assert not canvas.can_redo()
    assert len(history) >= 10


def test_new_stroke_clears_redo(canvas: DrawingCanvas, qtbot) -> None:
    a = [np.array([[10.0, 10.0], [50.0, 60.0]])]
    b = [np.array([[100.0, 100.0], [150.0, 200.0]])]
    draw_strokes(qtbot, canvas, a)
    canvas.undo()
    assert canvas.can_redo()
    history = _record(canvas.history_changed)
    draw_strokes(qtbot, canvas, b)
    assert not canvas.can_redo() and history
    _assert_same_drawing(canvas.strokes(), b)


def test_set_strokes_validates_and_copies(canvas: DrawingCanvas) -> None:
    with pytest.raises(DrawingError):
        canvas.set_strokes([np.zeros((3, 3))])
    with pytest.raises(DrawingError):
        canvas.set_strokes([np.array([[0.0, np.nan]])])
    with pytest.raises(DrawingError):
        canvas.set_strokes("7")
    with pytest.raises(DrawingError, match="out of range"):  # the limits every part shares
        canvas.set_strokes([np.array([[0.0, 2e6]])])
    with pytest.raises(DrawingError, match="more than 100000 points"):
        canvas.set_strokes([np.zeros((MAX_POINTS + 1, 2))])
    assert canvas.is_empty() and not canvas.can_undo()
    mine = [np.array([[1.0, 2.0], [3.0, 4.0]]), np.zeros((0, 2))]
    canvas.set_strokes(mine)
    mine[0][:] = -1.0
    _assert_same_drawing(canvas.strokes(), [np.array([[1.0, 2.0], [3.0, 4.0]])])


def test_drawing_stops_at_the_point_limit_before_breaking_it(canvas: DrawingCanvas, qtbot, monkeypatch) -> None:
    import vaedesk.gui.widgets.canvas as canvas_module

    monkeypatch.setattr(canvas_module, "MAX_POINTS", 50)  # the real limit, 100,000, is the same code path
    said = _record(canvas.limit_reached)
    finished = _record(canvas.stroke_finished)
    scribble = np.column_stack([np.linspace(10, 270, 80), 100 + 50 * np.sin(np.linspace(0, 20, 80))])
    draw_strokes(qtbot, canvas, [scribble[:30], scribble[30:]])
    assert sum(len(s) for s in canvas.strokes()) == 50  # the second stroke ended at the limit
    assert len(finished) == 2 and len(said) == 1 and "50 points" in said[0]
    draw_strokes(qtbot, canvas, [scribble[:10]])  # no new stroke starts
    assert sum(len(s) for s in canvas.strokes()) == 50 and len(said) == 2
    canvas.undo()
    draw_strokes(qtbot, canvas, [scribble[:10]])  # room again
    assert [len(s) for s in canvas.strokes()] == [30, 10]
    assert preprocess_strokes(canvas.strokes()).shape == (28, 28)


def test_resize_keeps_canvas_space_strokes(canvas: DrawingCanvas, qtbot, seven) -> None:
    draw_strokes(qtbot, canvas, seven)
    before = canvas.from_canvas(140, 140)
    canvas.resize(700, 450)
    qtbot.wait(1)
    _assert_same_drawing(canvas.strokes(), seven)
    rect = canvas.drawing_rect()
    assert rect.width() == rect.height() == 448
    assert rect.center().x() == pytest.approx(350) and rect.center().y() == pytest.approx(225)
    middle = canvas.from_canvas(140, 140)
    assert middle != before and canvas.to_canvas(middle) == pytest.approx((140, 140))
    # Drawing on the larger widget still records canvas-space points.
    more = [np.array([[20.0, 30.0], [40.0, 35.0]])]
    draw_strokes(qtbot, canvas, more)
    _assert_same_drawing(canvas.strokes(), seven + more)


def test_pen_scale(canvas: DrawingCanvas, qtbot, seven) -> None:
    assert canvas.pen_scale == 1.0
    assert canvas.model_pen_width() == DEFAULT_PEN_WIDTH
    draw_strokes(qtbot, canvas, seven)
    scales, changed = _record(canvas.pen_scale_changed), _record(canvas.drawing_changed)
    canvas.set_pen_scale(1.6)
    assert scales == [1.6] and len(changed) == 1
    _assert_same_drawing(changed[0], seven)
    assert canvas.model_pen_width() == pytest.approx(DEFAULT_PEN_WIDTH * 1.6)
    canvas.set_pen_scale(1.6)  # unchanged: no signals
    assert len(scales) == 1 and len(changed) == 1
    canvas.pen_scale = 10.0
    assert canvas.pen_scale == 2.5 and scales[-1] == 2.5
    canvas.set_pen_scale(0.0)
    assert canvas.pen_scale == 0.5
    assert canvas.ink_width() < DrawingCanvas().ink_width()
    with pytest.raises(ValueError):
        canvas.set_pen_scale(float("nan"))


def _tablet(canvas: DrawingCanvas, device: QPointingDevice, kind: QEvent.Type, x: float, y: float,
            button: Qt.MouseButton, buttons: Qt.MouseButton) -> bool:
    pos = canvas.from_canvas(x, y)
    event = QTabletEvent(kind, device, pos, canvas.mapToGlobal(pos), 0.6, 0.0, 0.0, 0.0, 0.0, 0.0,
                         Qt.KeyboardModifier.NoModifier, button, buttons)
    QApplication.sendEvent(canvas, event)
    return event.isAccepted()


def test_tablet_events_draw_a_stroke(canvas: DrawingCanvas) -> None:
    device = QPointingDevice(
        "test stylus", 4242, QInputDevice.DeviceType.Stylus, QPointingDevice.PointerType.Pen,
        QInputDevice.Capability.Position | QInputDevice.Capability.Pressure, 1, 3,
    )
    finished = _record(canvas.stroke_finished)
    # Hovering before contact draws nothing but is still accepted (no synthesised mouse).
    assert _tablet(canvas, device, QEvent.Type.TabletMove, 30, 30, NONE, NONE)
    assert canvas.is_empty()
    points = [(60.0, 40.0), (90.0, 100.0), (140.0, 200.0)]
    assert _tablet(canvas, device, QEvent.Type.TabletPress, *points[0], LEFT, LEFT)
    for p in points[1:]:
        assert _tablet(canvas, device, QEvent.Type.TabletMove, *p, NONE, LEFT)
    assert _tablet(canvas, device, QEvent.Type.TabletRelease, *points[-1], LEFT, NONE)
    assert len(finished) == 1
    _assert_same_drawing(canvas.strokes(), [np.array(points)])


def test_rendered_ink_follows_the_stroke(canvas: DrawingCanvas, qtbot) -> None:
    empty = canvas.grab().toImage()
    stroke = np.array([[60.0, 140.0], [220.0, 140.0]])
    draw_strokes(qtbot, canvas, [stroke])
    image = canvas.grab().toImage()
    for x in (70.0, 140.0, 210.0):
        on = canvas.from_canvas(x, 140.0).toPoint()
        assert image.pixelColor(on).lightness() < 40
        assert empty.pixelColor(on).lightness() > 200
    # Away from the ink the paper stays white.
    for x, y in ((140.0, 60.0), (30.0, 250.0)):
        assert image.pixelColor(canvas.from_canvas(x, y).toPoint()).lightness() > 240
    # Ink width on screen matches ink_width() (in canvas units) within a pixel or so.
    column = canvas.from_canvas(140.0, 0.0).toPoint().x()
    dark = [y for y in range(image.height()) if image.pixelColor(column, y).lightness() < 128]
    scale = canvas.drawing_rect().width() / CANVAS_SIZE
    assert abs(len(dark) - canvas.ink_width() * scale) <= 2


def test_canvas_strokes_preprocess_like_the_original(canvas: DrawingCanvas, qtbot, seven) -> None:
    draw_strokes(qtbot, canvas, seven)
    got = preprocess_strokes(canvas.strokes(), canvas.model_pen_width())
    want = preprocess_strokes(seven)
    assert float(np.abs(got - want).mean()) < 0.01


def test_drawing_does_not_drain_singleton_references(canvas: DrawingCanvas, qtbot, seven) -> None:
    # A PySide6 wheel built for CPython >= 3.12 (immortal None/True) but run on 3.11 returns
    # None/True without a reference from every call, so CPython aborts with "none_dealloc"
    # after a few hundred mouse moves.  PySide6 6.12.0 on 3.11 does this; 6.11 does not.
    _record(canvas.drawing_changed)
    # Only this test's calls may move the counts: earlier tests' windows and garbage go first,
    # and no collection runs in between.
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()
    gc.collect()
    gc.disable()
    try:
        before = sys.getrefcount(None), sys.getrefcount(True)
        for _ in range(3):
            draw_strokes(qtbot, canvas, seven)
            canvas.undo()
            canvas.redo()
        after = sys.getrefcount(None), sys.getrefcount(True)
    finally:
        gc.enable()
    assert after[0] >= before[0] - 50 and after[1] >= before[1] - 50, (before, after)
