"""The app's diagnostics: a rotating log file and a crash file in the user's log folder, and
uncaught exceptions logged. No Qt.

- ``vaedesk.log`` (rotated at 1 MB, three old files kept): INFO and above from vaedesk,
  WARNING and above from everything else, with tracebacks; warnings and errors also go to
  stderr, one line each.
- ``crash.log``: where :mod:`faulthandler` writes the Python stack of every thread when the
  process dies of a fatal signal (SIGSEGV, SIGABRT, ...). A non-empty one found at start is
  kept as ``crash.previous.log`` and named in the log, so the next start says what happened.
"""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TextIO

from vaedesk.support.paths import user_log_dir

LOG_NAME = "vaedesk.log"
CRASH_NAME = "crash.log"
PREVIOUS_CRASH_NAME = "crash.previous.log"
LOG_BYTES = 1 << 20
LOG_BACKUPS = 3
FORMAT = "%(asctime)s %(process)d %(threadName)s %(levelname)s %(name)s: %(message)s"
STDERR_FORMAT = "vaedesk: %(levelname)s: %(name)s: %(message)s"

log = logging.getLogger("vaedesk")
_installed: list[logging.Handler] = []  # this module's handlers, so a second set-up replaces them
_crash_file: list[TextIO] = []  # the file faulthandler writes to: open for the life of the process


def setup_logging(folder: Path | None = None, *, stderr: bool = True) -> Path | None:
    """Log to ``folder/vaedesk.log`` (default: the user's log folder) and, for warnings and
    errors, to stderr. Returns the log file, or None when the folder cannot be written (then
    stderr alone, with a warning saying why). Calling it again replaces the earlier set-up."""
    folder = user_log_dir() if folder is None else Path(folder)
    stop_logging()
    root = logging.getLogger()
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    log.setLevel(logging.INFO)
    if stderr and sys.stderr is not None:
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(logging.WARNING)
        console.setFormatter(_OneLine(STDERR_FORMAT))
        console.addFilter(lambda record: getattr(record, "console", True))
        _install(console)
    path = folder / LOG_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS,
                                                       encoding="utf-8")
    except OSError as exc:
        log.warning("no log file: cannot write to %s (%s)", folder, exc.strerror or exc)
        return None
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter(FORMAT))
    _install(handler)
    return path


class _OneLine(logging.Formatter):
    """The terminal gets what happened in one line; the traceback is in the log file."""

    def format(self, record: logging.LogRecord) -> str:
        kept = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = kept


FILE_ONLY = {"console": False}  # ``log.error(..., extra=FILE_ONLY)``: for the log file, not the terminal


def stop_logging() -> None:
    """Remove (and close) the handlers :func:`setup_logging` installed."""
    for handler in _installed:
        logging.getLogger().removeHandler(handler)
        handler.close()
    _installed.clear()


def _install(handler: logging.Handler) -> None:
    logging.getLogger().addHandler(handler)
    _installed.append(handler)


def enable_crash_file(folder: Path | None = None) -> Path | None:
    """Have :mod:`faulthandler` write fatal errors to ``folder/crash.log``; the file stays
    open for the life of the process (faulthandler writes with no Python left to open it).
    None when the folder cannot be written (faulthandler then writes to stderr)."""
    folder = user_log_dir() if folder is None else Path(folder)
    path = folder / CRASH_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if path.is_file() and path.stat().st_size > 0:
            os.replace(path, folder / PREVIOUS_CRASH_NAME)
            log.warning("the last run of vaedesk crashed: what it was doing is in %s", folder / PREVIOUS_CRASH_NAME)
        crash = open(path, "w", encoding="utf-8")  # kept open on purpose
    except OSError as exc:
        log.warning("no crash file: cannot write to %s (%s)", folder, exc.strerror or exc)
        if sys.stderr is not None:
            faulthandler.enable()
        return None
    faulthandler.enable(file=crash, all_threads=True)
    for old in _crash_file:
        old.close()
    _crash_file[:] = [crash]
    return path


def log_uncaught(on_error: Callable[[BaseException], None] | None = None) -> Callable[[], None]:
    """Log exceptions nothing caught (in the main thread, Qt's slots included, and in other
    Python threads) as errors with their traceback, then call ``on_error`` (e.g. to tell
    the user). Returns a function that puts the previous hooks back."""
    previous_hook, previous_thread_hook = sys.excepthook, threading.excepthook

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous_hook(kind, exc, tb)
            return
        log.error("uncaught %s: %s", kind.__name__, exc, exc_info=(kind, exc, tb))
        if on_error is not None:
            try:
                on_error(exc)
            except Exception:  # telling the user must not raise again from the hook
                log.exception("could not report the error")

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        thread = args.thread.name if args.thread is not None else "?"
        log.error("uncaught %s in thread %s: %s", args.exc_type.__name__, thread, args.exc_value,
                  exc_info=(args.exc_type, args.exc_value, args.exc_traceback))  # type: ignore[arg-type]

    sys.excepthook, threading.excepthook = hook, thread_hook

    def restore() -> None:
        sys.excepthook, threading.excepthook = previous_hook, previous_thread_hook

    return restore


def log_files(folder: Path | None = None) -> dict[str, Path]:
    """The files :func:`setup_logging` and :func:`enable_crash_file` write."""
    folder = user_log_dir() if folder is None else Path(folder)
    return {"log": folder / LOG_NAME, "crash": folder / CRASH_NAME}
