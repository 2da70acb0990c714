"""Every QThread the app starts is registered here, so tests can check none is left running."""

from __future__ import annotations

import atexit
import sys
import weakref

from PySide6.QtCore import QObject, QThread

_threads: "weakref.WeakSet[QThread]" = weakref.WeakSet()
_at_exit: list[bool] = []  # the exit hook is registered once

# How long a thread that wants the GIL waits before the holder must hand it over. Python's
# 5 ms default puts up to 5 ms between a worker's result and the GUI thread showing it (and
# back); 0.5 ms took stroke -> posterior p95 from 9-11 ms to 4-8 ms on two cores
# (benchmarks/run.py), at no measurable cost to the worker's throughput.
GIL_SWITCH_INTERVAL = 0.0005


def start_thread(worker: QObject, name: str) -> QThread:
    """Move ``worker`` to a new named thread and start its event loop."""
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    if not _threads and not _at_exit:
        # However the program ends (a script that never closes its window, app.quit()
        # without closing), a QThread destroyed while running aborts the interpreter.
        atexit.register(stop_all_threads)
        _at_exit.append(True)
    _threads.add(thread)
    thread.start()
    return thread


def stop_all_threads(timeout_ms: int = 30_000) -> None:
    """Stop every thread still running (at interpreter exit: after Python has joined its own
    threads, before Qt objects are destroyed)."""
    for thread in list(_threads):
        if thread.isRunning():
            stop_thread(thread, timeout_ms)


def stop_thread(thread: QThread, timeout_ms: int = 10_000) -> bool:
    """Ask the thread's event loop to finish and wait for it (never terminate)."""
    thread.quit()
    return thread.wait(timeout_ms)


def live_threads() -> list[QThread]:
    return list(_threads)
