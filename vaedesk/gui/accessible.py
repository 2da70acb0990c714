"""Accessible names and descriptions: what screen readers say for each widget.

Every interactive widget gets a short name ("Drawing canvas", "Play morph") and a
description of what it does or shows, set where the widget is built with :func:`named`.
tests/gui/test_accessibility.py fails when one is missing.
"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QWidget

__all__ = ["named"]

W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str, description: str | None = None) -> W:
    """Give ``widget`` its accessible ``name`` and ``description`` (default: its tooltip); returns it."""
    widget.setAccessibleName(name)
    if description is None:
        description = widget.toolTip()
    if description:
        widget.setAccessibleDescription(description)
    return widget
