"""Every key binding of the main window works: none is ambiguous in any context, on this
platform or on X11, and Ctrl+D pressed as a key toggles the density."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QGroupBox, QLabel, QTabBar, QWidget

from vaedesk.latent.attributes import Member

_S = QKeySequence.StandardKey
_WINDOW_WIDE = (Qt.ShortcutContext.WindowShortcut, Qt.ShortcutContext.ApplicationShortcut)

# What X11 binds the standard keys to where it differs from Qt's other platforms (Qt's
# key-binding table, as QKeySequence.keyBindings gives it under the xcb platform). Tests run
# offscreen, where Delete is Del alone; on X11 it is Ctrl+D as well.
_X11 = {
    _S.Delete: ("Del", "Ctrl+D"),
    _S.Cut: ("Ctrl+X", "Shift+Del", "F20", "Cut"),
    _S.Copy: ("Ctrl+C", "Ctrl+Ins", "F16", "Copy"),
    _S.Paste: ("Ctrl+V", "Ctrl+Shift+Ins", "Shift+Ins", "F18", "Paste"),
    _S.Undo: ("Ctrl+Z", "F14", "Undo"),
    _S.Redo: ("Ctrl+Shift+Z", "Redo"),
}


def _with_x11(keys: list[QKeySequence]) -> list[QKeySequence]:
    """``keys`` plus X11's bindings of each standard key they hold all of this platform's
    bindings of (a binding made from ``QKeySequence.StandardKey.Delete`` gains Ctrl+D)."""
    held = {key.toString() for key in keys}
    extra = []
    for standard, x11 in _X11.items():
        here = {key.toString() for key in QKeySequence.keyBindings(standard)}
        if here and here <= held:
            extra += [QKeySequence(text) for text in x11 if text not in held]
    return keys + extra


@dataclass
class Binding:
    owner: QObject  # the action, shortcut or widget whose key it is
    key: QKeySequence
    context: Qt.ShortcutContext
    widgets: tuple[QWidget, ...]  # where a widget-only binding is active (or its children, as the context says)

    def chords(self) -> tuple[int, ...]:
        return tuple(self.key[i].toCombined() for i in range(self.key.count()))  # type: ignore[index]

    def __str__(self) -> str:
        name = self.owner.objectName() or getattr(self.owner, "text", lambda: "")() or type(self.owner).__name__
        return f"{self.key.toString()} ({name}, {self.context.name})"


def _mnemonic_text(widget: QWidget) -> list[str]:
    if isinstance(widget, QAbstractButton):
        return [widget.text()]
    if isinstance(widget, QLabel) and widget.buddy() is not None:
        return [widget.text()]
    if isinstance(widget, QGroupBox):
        return [widget.title()]
    if isinstance(widget, QTabBar):
        return [widget.tabText(i) for i in range(widget.count())]
    return []


def window_bindings(window: QWidget) -> list[Binding]:
    """Every key binding in ``window``: its actions' (all of a standard key's bindings, X11's
    included), its shortcuts', and the Alt+letter mnemonics of its buttons, buddied labels,
    group boxes, tabs and menu bar."""
    bindings: list[Binding] = []
    actions = set(window.findChildren(QAction)) | set(window.actions())
    for widget in [window, *window.findChildren(QWidget)]:
        actions |= set(widget.actions())
    for action in actions:
        widgets = tuple(w for w in action.associatedObjects() if isinstance(w, QWidget))
        for key in _with_x11(list(action.shortcuts())):
            bindings.append(Binding(action, key, action.shortcutContext(), widgets))
    for shortcut in window.findChildren(QShortcut):
        parent = shortcut.parent()
        widgets = (parent,) if isinstance(parent, QWidget) else ()
        for key in _with_x11(list(shortcut.keys())):
            bindings.append(Binding(shortcut, key, shortcut.context(), widgets))
    for widget in window.findChildren(QWidget):
        for text in _mnemonic_text(widget):
            key = QKeySequence.mnemonic(text)
            if not key.isEmpty():
                bindings.append(Binding(widget, key, Qt.ShortcutContext.WindowShortcut, (widget,)))
    for action in window.menuBar().actions():
        key = QKeySequence.mnemonic(action.text())
        if not key.isEmpty():
            bindings.append(Binding(action, key, Qt.ShortcutContext.WindowShortcut, (window.menuBar(),)))
    return [b for b in bindings if not b.key.isEmpty()]


def _active_at(focus: QWidget, binding: Binding) -> bool:
    """Whether ``binding`` answers a key pressed while ``focus`` has the keyboard."""
    if binding.context in _WINDOW_WIDE:
        return True
    if binding.context == Qt.ShortcutContext.WidgetShortcut:
        return focus in binding.widgets
    return any(w is focus or w.isAncestorOf(focus) for w in binding.widgets)  # with children


def clashes(window: QWidget) -> list[str]:
    """Each pair of bindings that answer the same key (or where one key begins the other)
    in some focus, described."""
    bindings = window_bindings(window)
    found: set[str] = set()
    for focus in [window, *window.findChildren(QWidget)]:
        active = [b for b in bindings if _active_at(focus, b)]
        for i, a in enumerate(active):
            for b in active[i + 1:]:
                if a.owner is b.owner:
                    continue
                shorter, longer = sorted((a.chords(), b.chords()), key=len)
                if longer[:len(shorter)] == shorter:
                    where = "window-wide" if {a.context, b.context} <= set(_WINDOW_WIDE) else \
                        f"with the focus on {focus.objectName() or type(focus).__name__}"
                    found.add(f"{a} and {b}, {where}")
    return sorted(found)


def test_no_key_is_bound_twice_in_any_context(window):
    bindings = window_bindings(window)
    keys = {b.key.toString() for b in bindings}
    assert {"Ctrl+D", "Ctrl+Z", "F2", "Alt+F"} <= keys  # the collection sees actions and mnemonics
    assert clashes(window) == []
    # Lists remove their items in keyPressEvent, so no widget binds a Delete-type key at all.
    deletes = [str(b) for b in bindings if b.key.toString() in ("Del", "Ctrl+D", "Backspace")
               and b.owner is not window.window_actions.aggregate_density]
    assert deletes == []


def test_the_clash_check_sees_a_standard_delete_as_x11_binds_it(window):
    # A list bound to the standard Delete key, as the morph's was: on X11 that is Ctrl+D too.
    shortcut = QShortcut(QKeySequence(_S.Delete), window.morph_panel.endpoints,
                         context=Qt.ShortcutContext.WidgetShortcut)
    try:
        found = clashes(window)
        assert len(found) == 1 and "Ctrl+D" in found[0] and "action_aggregate_density" in found[0]
        assert "endpoints" in found[0] or "RemovableList" in found[0]
    finally:
        shortcut.setParent(None)
        shortcut.deleteLater()
    assert clashes(window) == []


def _press_ctrl_d(qtbot, focus: QWidget) -> None:
    focus.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is focus, timeout=2_000)
    QTest.keyClick(focus, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)


def test_ctrl_d_toggles_the_density_wherever_the_focus_is(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5_000)
    density = window.window_actions.aggregate_density
    window.add_pin(-1.0, 0.5)
    window.add_pin(1.0, -0.5)
    window.morph_panel.add_pins_requested.emit()
    endpoints = window.morph_panel.endpoints
    endpoints.setCurrentRow(0)  # a selected endpoint, as when the user last clicked the list
    group = window.attribute_panel.findChild(QWidget, "attributes_group_a")
    for focus in (window.canvas, window.plane, endpoints, group):
        before = density.isChecked()
        _press_ctrl_d(qtbot, focus)
        assert density.isChecked() is not before, f"Ctrl+D on {focus.objectName()} left the density as it was"
    assert endpoints.count() == 2  # Ctrl+D removed nothing


def test_delete_and_backspace_remove_the_selected_items_of_the_lists(qtbot, window):
    panel = window.morph_panel
    for x in (-1.0, 0.0, 1.0):
        window.add_pin(x, 0.0)
    panel.add_pins_requested.emit()
    assert panel.endpoints.count() == 3
    panel.endpoints.setCurrentRow(1)
    QTest.keyClick(panel.endpoints, Qt.Key.Key_Delete)
    assert panel.endpoints.count() == 2 and len(window.workspace.endpoints()) == 2
    panel.endpoints.setCurrentRow(0)
    QTest.keyClick(panel.endpoints, Qt.Key.Key_Backspace)
    assert len(window.workspace.endpoints()) == 1

    attributes = window.attribute_panel
    group = attributes.findChild(QWidget, "attributes_group_b")
    for label in ("first", "second"):
        attributes.add_member("b", Member("images", np.zeros((1, 28, 28)), label))
    group.setCurrentRow(0)
    QTest.keyClick(group, Qt.Key.Key_Delete)
    assert [m.label for m in attributes.members("b")] == ["second"]
