"""Accessibility in the real window: every interactive widget has an accessible
name, and the pin and gallery strips work from the keyboard alone.

Which widgets count as interactive (:func:`interactive`): buttons, sliders (scroll bars too),
combo boxes, spin boxes, line and text edits, item views, graphics views (the pyqtgraph
plots and planes), tab widgets, the drawing canvas, image strips and digit views (what
screen readers describe), and any other widget the Tab key stops at.

Which are left out (:func:`qt_part`), because Qt builds them inside a composite widget and
screen readers describe them by the composite's name: widgets Qt names itself ("qt_…":
the line edit of a spin box, the tab bar of a tab widget, a scroll area's viewport and
scroll-bar containers, the menu and tool bars' extension buttons), anything inside a spin
box, a combo box (its popup list), a tab bar (its scroll buttons), a menu or a scroll-bar
container, a scroll area's or graphics view's viewport, and the buttons a tool bar makes for
its actions (named by the action's text).
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QGraphicsView,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QTabBar,
    QTabWidget,
    QTextEdit,
    QToolBar,
    QToolButton,
    QWidget,
)

from vaedesk.data.sketches import draw_digit
from vaedesk.gui.widgets.canvas import DrawingCanvas
from vaedesk.gui.widgets.images import DigitView, ImageStrip

from tests.support.gui_input import draw_strokes
from tests.support.windows import wait_for_final_posterior

pytestmark = pytest.mark.usefixtures("default_reference")

INTERACTIVE = (QAbstractButton, QAbstractSlider, QComboBox, QAbstractSpinBox, QLineEdit, QTextEdit, QPlainTextEdit,
               QAbstractItemView, QGraphicsView, QTabWidget, DrawingCanvas, ImageStrip, DigitView)
_COMPOSITES = (QAbstractSpinBox, QComboBox, QTabBar, QMenu)
_SCROLL_BAR_CONTAINERS = ("qt_scrollarea_hcontainer", "qt_scrollarea_vcontainer")


def interactive(widget: QWidget) -> bool:
    return isinstance(widget, INTERACTIVE) or bool(widget.focusPolicy().value & Qt.FocusPolicy.TabFocus.value)


def qt_part(widget: QWidget) -> bool:
    """Whether ``widget`` is a part Qt builds inside a composite widget (see the module's docstring)."""
    if widget.objectName().startswith("qt_"):
        return True
    parent = widget.parentWidget()
    if isinstance(parent, QAbstractScrollArea) and widget is parent.viewport():
        return True
    if isinstance(widget, QToolButton) and isinstance(parent, QToolBar) and widget.defaultAction() is not None:
        return True
    while parent is not None:
        if isinstance(parent, _COMPOSITES) or parent.objectName() in _SCROLL_BAR_CONTAINERS:
            return True
        parent = parent.parentWidget()
    return False


def _where(widget: QWidget) -> str:
    chain = []
    while widget is not None:
        chain.append(f"{type(widget).__name__}({widget.objectName()!r})")
        widget = widget.parentWidget()
    return " < ".join(chain)


def unnamed(root: QWidget) -> list[str]:
    """Every interactive widget under ``root`` without an accessible name: class, objectName, parents."""
    return [_where(w) for w in root.findChildren(QWidget)
            if interactive(w) and not qt_part(w) and not w.accessibleName()]


def test_the_rule_finds_an_unnamed_widget(qtbot) -> None:
    """The audit itself: a new unnamed control is reported with its parents; Qt's own parts are not."""
    from PySide6.QtWidgets import QPushButton, QScrollArea, QSpinBox, QVBoxLayout

    root = QWidget(objectName="root")
    qtbot.addWidget(root)
    layout = QVBoxLayout(root)
    spin = QSpinBox(objectName="spin")
    spin.setAccessibleName("Spin")
    scroll = QScrollArea(objectName="scroll")
    scroll.setAccessibleName("Scroll")
    button = QPushButton("New", objectName="new_button")
    for widget in (spin, scroll, button):
        layout.addWidget(widget)
    assert unnamed(root) == ["QPushButton('new_button') < QWidget('root')"]
    button.setAccessibleName("New thing")
    assert unnamed(root) == []


def _draw(qtbot, win, digit: int, seed: int) -> None:
    win.clear_drawing()
    draw_strokes(qtbot, win.canvas, draw_digit(digit, np.random.default_rng(seed)))
    wait_for_final_posterior(qtbot, win)


@pytest.mark.slow
def test_every_interactive_widget_has_an_accessible_name(qtbot, window) -> None:
    # Fill what is built on demand: strips' tiles, the dimensions' rows, the prior samples
    # dialog, the training studio, the tour.
    _draw(qtbot, window, 3, 1)
    window.keep_drawing()
    window.add_pin(0.5, -0.5)
    qtbot.waitUntil(lambda: window.pin_strip.count() == 1 and window.gallery_strip.count() == 1, timeout=10_000)
    window.show_traversals()
    qtbot.waitUntil(lambda: len(window.traversal_view.sliders()) == 2, timeout=10_000)
    for index in range(window.insight_tabs.count()):
        window.insight_tabs.setCurrentIndex(index)
        qtbot.wait(20)
    window.window_actions.sample_prior.trigger()
    qtbot.waitUntil(lambda: window.findChild(QDialog, "prior_samples") is not None, timeout=30_000)
    window.open_training()
    window.start_tour()
    checked = [w for w in window.findChildren(QWidget) if interactive(w) and not qt_part(w)]
    assert len(checked) > 100  # the window, its tabs, the studio and the dialog were all walked
    missing = unnamed(window)
    window.tour.stop()
    assert not missing, f"{len(missing)} interactive widgets without an accessible name:\n" + "\n".join(missing)
    # Descriptions say what a widget shows; the preview's follows it.
    assert window.canvas.accessibleDescription()
    mx, my = window.last_encode.mean_xy
    assert window.plane.accessibleDescription().startswith(f"Your drawing lands at ({mx:+.2f}, {my:+.2f}).")
    x, y = window.plane.pins()[0][1]
    qtbot.keyClick(window.pin_strip.tiles()[0], Qt.Key.Key_Return)
    assert window.preview_view.accessibleDescription() == f"Pin 1 at ({x:+.2f}, {y:+.2f})"


def _same(drawing, kept) -> bool:
    """Whether the canvas shows the kept drawing (the same strokes)."""
    return len(drawing.strokes) == len(kept.strokes) and all(
        np.allclose(a, b) for a, b in zip(drawing.strokes, kept.strokes, strict=True))


def test_kept_drawings_and_pins_work_from_the_keyboard(qtbot, window) -> None:
    for digit, seed in ((0, 1), (1, 2), (7, 3)):
        _draw(qtbot, window, digit, seed)
        window.keep_drawing()
    pins = [window.add_pin(-1.0, 0.5), window.add_pin(0.5, 0.5), window.add_pin(1.0, -1.0)]
    gallery, pin_strip = window.gallery_strip, window.pin_strip
    qtbot.waitUntil(lambda: gallery.count() == 3 and pin_strip.count() == 3
                    and all(tile.image() is not None for tile in pin_strip.tiles()), timeout=10_000)  # decoded
    qtbot.waitUntil(lambda: all(tile.isVisible() for tile in gallery.tiles() + pin_strip.tiles()))  # shown queued
    assert [t.accessibleName() for t in gallery.tiles()] == ["Kept drawing 1", "Kept drawing 2", "Kept drawing 3"]
    assert pin_strip.tiles()[1].accessibleName() == "Pin 2 at (+0.50, +0.50)"

    # The Tab key reaches the pins, then the gallery, from the tabs' bar.
    window.insight_tabs.setCurrentIndex(0)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.insight_tabs.tabBar().setFocus()
    visited = []
    for _ in range(30):
        if pin_strip.hasFocus():
            break
        visited.append(QApplication.focusWidget().accessibleName() or repr(QApplication.focusWidget()))
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert pin_strip.hasFocus() and pin_strip.tiles()[0].hasFocus(), visited
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert gallery.hasFocus() and gallery.current_index() == 0

    # Arrows and Enter take a kept drawing back to the canvas, as a click does.
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right)
    assert gallery.current_index() == 1 and gallery.tiles()[1].hasFocus()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    kept = window.workspace.gallery
    assert _same(window.workspace.drawing, kept[1])
    qtbot.mouseClick(gallery.tiles()[0], Qt.MouseButton.LeftButton, pos=gallery.tiles()[0].rect().center())
    assert _same(window.workspace.drawing, kept[0]) and gallery.current_index() == 0
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_End)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)  # Space is the strip's, not Play's
    assert _same(window.workspace.drawing, kept[2]) and not window.morph_panel.play.isChecked()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Delete)  # kept drawings are not removed
    assert gallery.count() == 3 and len(window.workspace.gallery) == 3

    # Back to the pins: Enter chooses one (previewed, as a click on it), Delete removes it.
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert pin_strip.hasFocus() and pin_strip.current_index() == 0
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Enter)
    assert window.preview_view.caption() == "Pin 2 at (+0.50, +0.50)"
    assert window.subject_latent()[1] == "pin 2"
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_End)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Delete)
    assert [pin.id for pin in window.workspace.pins()] == pins[:2]
    qtbot.waitUntil(lambda: pin_strip.count() == 2, timeout=10_000)
    assert pin_strip.hasFocus() and pin_strip.current_index() == 1  # the focus stays in the strip
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backspace)
    assert [pin.id for pin in window.workspace.pins()] == pins[:1]
