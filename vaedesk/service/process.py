"""A child Python process that speaks :mod:`vaedesk.service.protocol`: :class:`ChildProcess`.

Both of the app's children (the model process and a training run) live the same way: started
with ``python -m <module> <fd>``, where ``fd`` is their end of a socket pair, read as a
``multiprocessing`` connection that carries pickled protocol messages both ways; a thread
reads what the child says and hands each message to a callback; :meth:`ChildProcess.stop`
asks the child to finish (:class:`~vaedesk.service.protocol.Stop`), waits, then kills it; and
a child that ends without being asked to is reported once, in a few words.

Why a fresh interpreter and not ``multiprocessing.Process``: a spawned or fork-server
``Process`` runs the caller's main script again in the child (as ``__mp_main__``), so every
script that opens a window needed an ``if __name__ == "__main__"`` guard, and a script fed on
standard input (``python - <<EOF``) could not start a model at all ("No such file or
directory: '<stdin>'"). ``python -m`` imports only vaedesk. The price is that each child
imports PyTorch itself as it starts, a second or two that the window does not wait for
(the child starts on the reader thread). How the children fit into the app:
docs/architecture.md. No Qt here.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from vaedesk.service.protocol import Stop

log = logging.getLogger(__name__)

_running: weakref.WeakSet[ChildProcess] = weakref.WeakSet()
# The folder vaedesk is imported from: a child imports the same vaedesk as the app, wherever
# the app was started from.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def running_children(module: str | None = None) -> list[ChildProcess]:
    """The children this process has started that still run (of ``module``, if given)."""
    return [child for child in list(_running) if child.is_alive() and module in (None, child.module)]


def how_it_ended(returncode: int | None) -> str:
    """A child's end in a few words: "exited with code 1", "was ended by signal SIGKILL"."""
    if returncode is None:
        return "stopped answering"
    if returncode < 0:
        try:
            return f"was ended by signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was ended by signal {-returncode}"
    return f"exited with code {returncode}"


def child_connection(argv: list[str] | None = None) -> Connection:
    """In a child: its end of the connection to the app (the fd on its command line)."""
    argv = sys.argv if argv is None else argv
    return Connection(int(argv[1]))


class ChildProcess:
    """One child process: start, send, read on a thread, stop politely then kill.

    ``on_message(message)`` and ``on_end(how)`` are called on the reader thread: the first
    for each message in order, the second once, after the last message, when the child
    ended without :meth:`stop` (``how``: "was ended by signal SIGKILL", "could not start
    (…)", …). ``log_stderr`` sends the child's standard error to the app's log instead of
    the app's own standard error."""

    def __init__(self, module: str, on_message: Callable[[object], None], on_end: Callable[[str], None], *,
                 name: str = "", log_stderr: bool = False) -> None:
        self.module = module
        self.name = name or module
        self._on_message, self._on_end = on_message, on_end
        self._log_stderr = log_stderr
        self._send_lock = threading.Lock()
        self._connection: Connection | None = None
        self._reader: threading.Thread | None = None
        self._started = threading.Event()  # the child is running, or could not start
        self.process: subprocess.Popen | None = None
        self._stopping = False

    def start(self) -> None:
        """Start the child; returns at once (it starts on the reader thread). Messages sent
        before it runs wait for it."""
        ours, theirs = socket.socketpair()
        self._connection, self._stopping, self.process = Connection(ours.detach()), False, None
        self._started.clear()
        self._reader = threading.Thread(target=self._run, args=(self._connection, theirs),
                                        name=f"{self.name}-messages", daemon=True)
        self._reader.start()

    def _launch(self, theirs: socket.socket) -> subprocess.Popen:
        fd = theirs.fileno()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        return subprocess.Popen([sys.executable, "-m", self.module, str(fd)], pass_fds=(fd,), env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL if self._log_stderr else None,
                                stderr=subprocess.PIPE if self._log_stderr else None)

    def _run(self, connection: Connection, theirs: socket.socket) -> None:
        try:
            process = self._launch(theirs)
        except (OSError, ValueError) as exc:  # no memory, no interpreter: nothing else can say it
            log.exception("%s could not start", self.name)
            self._started.set()
            self._on_end(f"could not start ({type(exc).__name__}: {exc})")
            return
        finally:
            theirs.close()  # the child's end: ours reads the end of file when the child ends
        self.process = process
        _running.add(self)
        self._started.set()
        if process.stderr is not None:
            threading.Thread(target=self._forward_stderr, args=(process,), name=f"{self.name}-stderr",
                             daemon=True).start()
        how = None
        try:
            while True:
                self._on_message(connection.recv())
        except (EOFError, OSError):
            pass
        except Exception as exc:  # a message the app cannot read: end the child (its owner may start anew)
            log.exception("unreadable message from %s", self.name)
            how = f"sent a message the app could not read ({type(exc).__name__}: {exc})"
            process.kill()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:  # closed its end but goes on: never leave it behind
            process.kill()
            process.wait(5)
        connection.close()
        if not self._stopping:
            self._on_end(how or how_it_ended(process.returncode))

    def _forward_stderr(self, process: subprocess.Popen) -> None:
        """The child's warnings and tracebacks into the app's log, a line at a time."""
        assert process.stderr is not None  # forwarded only when piped
        for line in process.stderr:
            text = line.decode("utf-8", "replace").rstrip()
            if text:
                log.warning("%s %s: %s", self.name, process.pid, text)

    def send(self, message: object) -> None:
        """Send a protocol message; dropped once the child has ended (the reader says that)."""
        connection = self._connection
        if connection is None:
            return
        with self._send_lock:
            try:
                connection.send(message)
            except (OSError, ValueError):
                pass

    def pid(self) -> int | None:
        """The child's process id once it runs (None before, or when it could not start)."""
        if self._connection is not None and not self._stopping:
            self._started.wait(10)
        return None if self.process is None else self.process.pid

    def is_alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the child to finish what it is doing and end; after ``timeout`` seconds, end it."""
        if self._connection is None:
            return
        self._stopping = True
        self.send(Stop())
        reader = self._reader
        if reader is not None:
            reader.join(timeout)
        self._started.wait(timeout)
        process = self.process
        if process is not None and process.poll() is None:
            try:
                process.wait(1.0 if reader is None or not reader.is_alive() else 0.1)
            except subprocess.TimeoutExpired:  # stuck: never leave it behind
                self.kill()
        self._connection.close()

    def kill(self) -> None:
        """End the child at once and wait for it."""
        process = self.process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(5)
