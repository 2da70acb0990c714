"""Start the desktop app: the window shows at once, the model loads on the worker thread."""

from __future__ import annotations

import os
import signal
import sys
import time

# With VAEDESK_SCREENSHOT=PATH the app saves a picture of its window once the model is
# ready and quits: CI uses it to check that the real app starts on a (virtual) screen.
SCREENSHOT_ENV = "VAEDESK_SCREENSHOT"
# With VAEDESK_LAUNCH_TIME=<time.time() at launch> the app prints how long it took to show
# the window and to get the model ready, then quits (benchmarks/ measures cold start).
LAUNCH_TIME_ENV = "VAEDESK_LAUNCH_TIME"


def main(argv: list[str] | None = None) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from . import window

    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setApplicationName("vaedesk")
    app.setOrganizationName("vaedesk")
    win = window.MainWindow()
    win.show()
    launched = os.environ.get(LAUNCH_TIME_ENV)
    if launched:
        app.processEvents()  # the first paint
        print(f"window shown {time.time() - float(launched):.3f}", flush=True)
        win.model_ready.connect(lambda _name: (print(f"model ready {time.time() - float(launched):.3f}", flush=True),
                                               QTimer.singleShot(0, win.close)))
    screenshot = os.environ.get(SCREENSHOT_ENV)
    if screenshot:
        def capture(_name: str) -> None:
            QTimer.singleShot(500, lambda: (win.grab().save(screenshot), win.close()))

        win.model_ready.connect(capture)
    previous = signal.getsignal(signal.SIGINT)
    installed = _close_on_interrupt(win)
    try:
        return app.exec()
    finally:
        if installed and previous is not None:  # a caller that runs the app in-process gets its own back
            signal.signal(signal.SIGINT, previous)


# How often the Python interpreter is woken to run a signal handler while Qt's event loop waits.
_SIGNAL_POLL_MS = 200


def _close_on_interrupt(win) -> bool:
    """Ctrl+C in the terminal closes the window as its close button does, so the session is
    saved (closeEvent); a second Ctrl+C ends the app at once. False where signals cannot be
    handled (not the main thread).

    Python runs a signal handler only between bytecodes, and Qt's event loop waits in C++,
    so a timer wakes the interpreter every 200 ms to let the handler run."""
    from PySide6.QtCore import QTimer

    def interrupted(_signum: int, _frame: object) -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # the next Ctrl+C is not asked twice
        win.close()

    try:
        signal.signal(signal.SIGINT, interrupted)
    except ValueError:
        return False
    waker = QTimer(win)
    waker.timeout.connect(lambda: None)
    waker.start(_SIGNAL_POLL_MS)
    return True
