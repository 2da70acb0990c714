"""The glossary where its words appear: a widget's or an action's tooltip, and labels whose
``glossary:`` links ask Help → Glossary to open at a term. The words themselves are in
:mod:`vaedesk.insight.glossary`; widgets take them from there through these two functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QWidget

from vaedesk.insight.glossary import linked_term, status_tip, tooltip

__all__ = ["explain", "link_terms"]

T = TypeVar("T", bound=QWidget | QAction)


def explain(target: T, key: str) -> T:
    """Give ``target`` the glossary's tooltip for ``key`` (and, for an action, its status-bar
    line, which a menu shows while the entry is under the mouse); returns it."""
    target.setToolTip(tooltip(key))
    if isinstance(target, QAction):
        target.setStatusTip(status_tip(key))
    return target


def link_terms(label: QLabel, on_term: Callable[[str], None]) -> QLabel:
    """Let ``label`` hold rich text whose ``glossary:`` links (:func:`vaedesk.insight.glossary.term_link`)
    call ``on_term(key)`` when clicked; its text stays selectable.

    The links are for the mouse: a label the Tab key stopped at would be one more stop per
    term, and from the keyboard Help → Glossary lists every term."""
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(label.textInteractionFlags() | Qt.TextInteractionFlag.LinksAccessibleByMouse)
    label.setOpenExternalLinks(False)

    def follow(link: str) -> None:
        key = linked_term(link)
        if key is not None:
            on_term(key)

    label.linkActivated.connect(follow)
    return label
