"""The user guide's table of keyboard shortcuts, made from the window's real actions.

    QT_QPA_PLATFORM=offscreen python -m vaedesk.gui.shortcuts          # print the table
    QT_QPA_PLATFORM=offscreen python -m vaedesk.gui.shortcuts --write  # put it in docs/user-guide.md

The table sits in :data:`GUIDE` (docs/user-guide.md) between :data:`BEGIN` and :data:`END`;
a test fails when it and the actions disagree. Keys are Qt's portable text (``Ctrl+Shift+Z``), as this platform binds
them; every binding of an action is listed.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QKeyCombination, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QWidget

__all__ = ["BEGIN", "END", "GUIDE", "guide_table", "replace_table", "shortcut_rows", "shortcut_table"]

BEGIN = "<!-- shortcuts: made by `python -m vaedesk.gui.shortcuts --write` from the app's actions -->"
END = "<!-- end of shortcuts -->"
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "user-guide.md"


def _plain(text: str) -> str:
    """A menu text without its mnemonic ampersands ("&&" is a literal one)."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def _menu_path(action: QAction) -> str:
    for owner in action.associatedObjects():
        if isinstance(owner, QMenu):
            titles = []
            menu: QWidget | None = owner
            while isinstance(menu, QMenu):
                titles.append(_plain(menu.title()))
                menu = menu.parentWidget()
            return " → ".join(reversed(titles))
    return ""


# Keys every keyboard has, besides letters, digits and punctuation; a binding to a lone
# dedicated key (Open, Undo, Help, Zoom In on some keyboards) is left out of the table.
_COMMON_KEYS = {Qt.Key.Key_Space, Qt.Key.Key_Escape, Qt.Key.Key_Tab, Qt.Key.Key_Backspace, Qt.Key.Key_Return,
                Qt.Key.Key_Enter, Qt.Key.Key_Insert, Qt.Key.Key_Delete, Qt.Key.Key_Home, Qt.Key.Key_End,
                Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_PageUp,
                Qt.Key.Key_PageDown}


def _typed(key: QKeySequence) -> bool:
    """Whether ``key`` is pressed on an ordinary keyboard (not a lone dedicated key)."""
    combination: QKeyCombination = key[0]  # type: ignore[index]  # the stub omits QKeySequence's operator[]
    code = combination.key()
    if combination.keyboardModifiers() != Qt.KeyboardModifier.NoModifier or code.value < 0x01000000:
        return True
    return code in _COMMON_KEYS or Qt.Key.Key_F1.value <= code.value <= Qt.Key.Key_F35.value


def _keys(action: QAction) -> list[str]:
    return [key.toString(QKeySequence.SequenceFormat.PortableText) for key in action.shortcuts()
            if not key.isEmpty() and _typed(key)]


def shortcut_rows(actions: Iterable[QAction]) -> list[tuple[str, str, str]]:
    """``(menu, action, keys)`` for every action with a key, in the order given. Actions
    numbered by their keys (the Model menu's Ctrl+1…Ctrl+9) share one row."""
    rows: list[tuple[str, str, str]] = []
    numbered: list[str] = []
    models_at = -1
    for action in actions:
        keys = _keys(action)
        if not keys:
            continue
        if action.objectName().startswith("action_"):
            rows.append((_menu_path(action), _plain(action.text()), " or ".join(f"`{k}`" for k in keys)))
        else:  # one of the Model menu's models, numbered in menu order
            models_at = len(rows) if models_at < 0 else models_at
            numbered.extend(keys)
    if numbered:
        first = ", ".join(f"`{k}`" for k in numbered[:2])
        rows.insert(models_at, ("Model", "a model of the menu, the first nine in order", f"{first}, …"))
    return rows


def shortcut_table(rows: Iterable[tuple[str, str, str]]) -> str:
    lines = ["| menu | action | keys |", "|---|---|---|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def window_actions(window: QMainWindow) -> list[QAction]:
    """The window's actions in their menus' order (File, Edit, View, Model, Help)."""
    seen: list[QAction] = []

    def walk(menu: QMenu) -> None:
        for action in menu.actions():
            submenu = action.menu()
            if isinstance(submenu, QMenu):
                walk(submenu)
            elif submenu is None and action not in seen:
                seen.append(action)

    for top in window.menuBar().actions():
        if isinstance(menu := top.menu(), QMenu):
            walk(menu)
    seen += [a for a in window.actions() if a not in seen]  # keys without a menu entry
    return seen


def guide_table(text: str) -> str | None:
    """The table between the markers in the user guide's ``text`` (None without the markers)."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return None
    return text[start + len(BEGIN):end].strip()


def replace_table(text: str, table: str) -> str:
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{GUIDE.name} has no {BEGIN!r} … {END!r} section")
    return text[:start + len(BEGIN)] + "\n\n" + table + "\n\n" + text[end:]


def main(argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    from vaedesk.support.atomic import atomic_path

    args = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("VAEDESK_HOME", tempfile.mkdtemp(prefix="vaedesk-shortcuts-"))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from vaedesk.gui.window import MainWindow

    window = MainWindow()
    table = shortcut_table(shortcut_rows(window_actions(window)))
    window.close()  # stops its model process
    app.processEvents()
    if "--write" in args:
        text = GUIDE.read_text(encoding="utf-8")
        with atomic_path(GUIDE) as tmp:
            tmp.write_text(replace_table(text, table), encoding="utf-8")
        print(f"wrote the shortcut table into {GUIDE}")
    else:
        print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
