"""Start the desktop app: the window shows at once, the model loads in its own process."""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import time
from collections.abc import Callable

# With VAEDESK_SCREENSHOT=PATH the app saves a picture of its window once the model is
# ready and quits: CI uses it to check that the real app starts on a (virtual) screen.
SCREENSHOT_ENV = "VAEDESK_SCREENSHOT"
# With VAEDESK_LAUNCH_TIME=<time.time() at launch> the app prints how long it took to show
# the window and to get the model ready, then quits (benchmarks/ measures cold start).
LAUNCH_TIME_ENV = "VAEDESK_LAUNCH_TIME"

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None, *, file: str | os.PathLike | None = None, model: str | None = None) -> int:
    """Run the app until its window closes, ``app.quit()``, SIGTERM or Ctrl+C; ``file`` (a
    saved drawing or any image) is opened once the window shows, ``model`` shown first.

    Every way out saves the session and the settings (the window's closeEvent) and stops the
    model process and any training run before the event loop ends; the exit code is 0."""
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication

    from vaedesk import __version__
    from vaedesk.errors import VaedeskError
    from vaedesk.support.logs import FILE_ONLY, enable_crash_file, log_uncaught, setup_logging
    from vaedesk.support.paths import app_icon_path

    log_file = setup_logging()
    enable_crash_file()
    log.info("vaedesk %s starts (pid %d)", __version__, os.getpid())
    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setApplicationName("vaedesk")
    app.setOrganizationName("vaedesk")
    QGuiApplication.setDesktopFileName("vaedesk")  # Wayland and task bars match the window to vaedesk.desktop
    QGuiApplication.setWindowIcon(QIcon(str(app_icon_path())))
    holder: list = []  # the window, once built: a signal during start-up closes it when the loop runs
    restore_signals = _quit_on_signals(app, holder)

    from vaedesk.gui import window

    try:
        win = window.MainWindow(model=model)
    except Exception as exc:  # a bug: one line on the terminal (the command line's), the traceback in the log
        restore_signals()
        log.error("the window could not be built", exc_info=True, extra=FILE_ONLY)
        where = f"; the details are in {log_file}" if log_file else ""
        raise VaedeskError(f"the window could not be built ({type(exc).__name__}: {exc}){where}") from None
    except BaseException:
        restore_signals()
        raise
    holder.append(win)
    where = f"The details are in {log_file}." if log_file else "The details were written to the terminal."

    def tell_user(exc: BaseException) -> None:
        win.show_message("critical", "Unexpected error",
                         f"{type(exc).__name__}: {exc}\n\nvaedesk keeps running, but this part may not work as it "
                         f"should. {where}")

    restore_hook = log_uncaught(tell_user)
    # app.quit() from anywhere: the window closes first, so it saves and stops its processes.
    app.aboutToQuit.connect(lambda: win.close() if win.isVisible() else None)
    win.show()
    if file is not None:
        QTimer.singleShot(0, lambda: win.open_file(file))
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
    win.model_ready.connect(lambda name: log.info("model %s ready", name))
    # Qt and pyqtgraph leave many long-lived objects that every full garbage collection
    # walks again, a pause in the middle of a stroke. Freezing them once a model is shown
    # (everything is loaded then) takes them out of future collections.
    win.model_ready.connect(lambda _name: gc.freeze())
    try:
        code = app.exec()
    finally:
        restore_signals()
        restore_hook()
    log.info("vaedesk exits with code %d", code)
    return code


# How often the Python interpreter is woken to run a signal handler while Qt's event loop waits.
_SIGNAL_POLL_MS = 200
# The signals that end the app as its close button does: Ctrl+C in the terminal, and what
# ``kill``, a logout or a service manager sends.
QUIT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name))


def _quit_on_signals(app, holder: list) -> Callable[[], None]:
    """SIGINT and SIGTERM close the window (``holder[0]``, once built) as its close button
    does, without asking, so the session is saved, then quit the app; a second one of the
    same signal ends the process at once. Returns a function that puts the previous handlers
    back (nothing is installed outside the main thread, where Python cannot take signals).

    Python runs a signal handler only between bytecodes, and Qt's event loop waits in C++,
    so a timer wakes the interpreter every 200 ms to let the handler run."""
    from PySide6.QtCore import QTimer

    def close_and_quit() -> None:
        for win in holder:
            win.close()
        app.quit()

    def received(signum: int, _frame: object) -> None:
        signal.signal(signum, signal.SIG_DFL)  # the next one is not asked twice
        log.info("%s received: closing", signal.Signals(signum).name)
        QTimer.singleShot(0, close_and_quit)  # from the event loop, not from inside whatever Python code ran

    previous = {}
    for signum in QUIT_SIGNALS:
        try:
            previous[signum] = signal.signal(signum, received)
        except ValueError:  # not the main thread
            break
    if not previous:
        return lambda: None
    waker = QTimer(app)
    waker.timeout.connect(lambda: None)
    waker.start(_SIGNAL_POLL_MS)

    def restore() -> None:
        waker.stop()
        waker.deleteLater()
        for signum, handler in previous.items():
            if handler is not None:  # a caller that runs the app in-process gets its own back
                signal.signal(signum, handler)

    return restore
