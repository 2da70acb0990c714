"""Start the desktop app: the window shows at once, the model loads on the worker thread."""

from __future__ import annotations

import os
import sys

# With VAEDESK_SCREENSHOT=PATH the app saves a picture of its window once the model is
# ready and quits: CI uses it to check that the real app starts on a (virtual) screen.
SCREENSHOT_ENV = "VAEDESK_SCREENSHOT"


def main(argv: list[str] | None = None) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from . import window

    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setApplicationName("vaedesk")
    app.setOrganizationName("vaedesk")
    win = window.MainWindow()
    win.show()
    screenshot = os.environ.get(SCREENSHOT_ENV)
    if screenshot:
        def capture(_name: str) -> None:
            QTimer.singleShot(500, lambda: (win.grab().save(screenshot), win.close()))

        win.model_ready.connect(capture)
    return app.exec()
