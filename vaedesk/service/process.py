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
(the child starts on the reader thread). A program that opens many windows one after
another (the test suite) sets ``VAEDESK_SPARE_PROCESS=1``: a child made with ``spare=True``
then leaves one more of its kind started and waiting, which the next one takes at once and
tells its environment and folder (:class:`~vaedesk.service.protocol.Adopt`). How the
children fit into the app: docs/architecture.md. No Qt here.
"""

from __future__ import annotations

import atexit
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

from vaedesk.service.protocol import Adopt, Stop

log = logging.getLogger(__name__)

_running: weakref.WeakSet[ChildProcess] = weakref.WeakSet()
# The folder vaedesk is imported from: a child imports the same vaedesk as the app, wherever
# the app was started from.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


# Children started ahead and waiting to be taken, by module (see the module's text).
SPARE_SETTING = "VAEDESK_SPARE_PROCESS"
_spares: dict[str, tuple[subprocess.Popen, Connection]] = {}
_spares_lock = threading.Lock()


def _launch(module: str, theirs: socket.socket, log_stderr: bool) -> subprocess.Popen:
    """``python -m module FD``, FD being ``theirs``, with this vaedesk first on its path."""
    fd = theirs.fileno()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
    return subprocess.Popen([sys.executable, "-m", module, str(fd)], pass_fds=(fd,), env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL if log_stderr else None,
                            stderr=subprocess.PIPE if log_stderr else None)


def _start_spare(module: str, log_stderr: bool) -> None:
    """Start one waiting child of ``module``, unless one waits already."""
    with _spares_lock:
        if module in _spares:
            return
        ours, theirs = socket.socketpair()
        try:
            process = _launch(module, theirs, log_stderr)
        except (OSError, ValueError):  # the next child starts the usual way
            ours.close()
            return
        finally:
            theirs.close()
        _spares[module] = (process, Connection(ours.detach()))


def _take_spare(module: str) -> tuple[subprocess.Popen, Connection] | None:
    with _spares_lock:
        spare = _spares.pop(module, None)
    if spare is not None and spare[0].poll() is not None:  # it died waiting
        spare[1].close()
        return None
    return spare


@atexit.register
def _end_spares() -> None:
    with _spares_lock:
        spares = list(_spares.values())
        _spares.clear()
    for process, connection in spares:
        connection.close()  # a waiting child ends at the end of its connection; never leave one behind
        try:
            process.wait(2)
        except subprocess.TimeoutExpired:
            process.kill()


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
                 name: str = "", log_stderr: bool = False, spare: bool = False) -> None:
        self.module = module
        self._wants_spare = spare
        self._spare = False
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
        self._stopping, self.process = False, None
        self._started.clear()
        self._spare = self._wants_spare and os.environ.get(SPARE_SETTING) == "1"
        spare = _take_spare(self.module) if self._spare else None
        if spare is not None:
            process, self._connection = spare
            self.send(Adopt(dict(os.environ), os.getcwd()))  # before anything else it reads
            args: tuple = (self._connection, None, process)
        else:
            ours, theirs = socket.socketpair()
            self._connection = Connection(ours.detach())
            args = (self._connection, theirs, None)
        self._reader = threading.Thread(target=self._run, args=args, name=f"{self.name}-messages", daemon=True)
        self._reader.start()

    def _run(self, connection: Connection, theirs: socket.socket | None, process: subprocess.Popen | None) -> None:
        if process is None:
            assert theirs is not None
            try:
                process = _launch(self.module, theirs, self._log_stderr)
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
            self._on_message(connection.recv())
            if self._spare:  # this one is up: the next one starts now, without slowing it
                _start_spare(self.module, self._log_stderr)
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
        with process.stderr:  # closed at the child's end, not left to the garbage collector
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
