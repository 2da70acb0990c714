"""The vaedesk desktop app (PySide6 + pyqtgraph). Widgets stay thin; the maths is in the core."""

from __future__ import annotations

import os

# pyqtgraph must use the same binding as the app.
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
# Qt splits large fills across a pool of helper threads and waits for them all. The model
# process (and a training run) keep the other cores busy, so the window's thread would wait
# for helpers that wait for a core; filling on the window's thread itself does not wait.
os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")


def __getattr__(name: str):
    if name == "MainWindow":
        from vaedesk.gui.window import MainWindow

        return MainWindow
    if name == "main":
        from vaedesk.gui.app import main

        return main
    raise AttributeError(name)
