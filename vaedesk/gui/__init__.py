"""The vaedesk desktop app (PySide6 + pyqtgraph). Widgets stay thin; the maths is in the core."""

from __future__ import annotations

import os

# pyqtgraph must use the same binding as the app.
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
# Qt splits large fills across a pool of helper threads and waits for them all. Here the
# model worker (and a training run) keep the other cores busy, so the window thread waited
# for helpers that waited for a core: in four alternating drawing runs on two cores, blocks
# over 16 ms numbered 45 and 45 with the fills kept on the window thread, 93 and 52 without.
os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")


def __getattr__(name: str):
    if name == "MainWindow":
        from vaedesk.gui.window import MainWindow

        return MainWindow
    if name == "main":
        from vaedesk.gui.app import main

        return main
    raise AttributeError(name)
