"""The vaedesk desktop app (PySide6 + pyqtgraph). Widgets stay thin; the maths is in the core."""

from __future__ import annotations

import os

# pyqtgraph must use the same binding as the app.
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")


def __getattr__(name: str):
    if name == "MainWindow":
        from .window import MainWindow

        return MainWindow
    if name == "main":
        from .app import main

        return main
    raise AttributeError(name)
