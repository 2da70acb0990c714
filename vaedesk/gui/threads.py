"""Every QThread the app starts is registered here, so tests can check none is left running."""

from __future__ import annotations

import weakref

from PySide6.QtCore import QObject, QThread

_threads: "weakref.WeakSet[QThread]" = weakref.WeakSet()


def start_thread(worker: QObject, name: str) -> QThread:
    """Move ``worker`` to a new named thread and start its event loop."""
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    _threads.add(thread)
    thread.start()
    return thread


def stop_thread(thread: QThread, timeout_ms: int = 10_000) -> bool:
    """Ask the thread's event loop to finish and wait for it (never terminate)."""
    thread.quit()
    return thread.wait(timeout_ms)


def live_threads() -> list[QThread]:
    return list(_threads)
