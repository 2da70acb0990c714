"""Write files so that a crash or a full disk never leaves a half-written file behind.

Every write goes to a hidden temporary beside its target, ``.NAME.PID-RANDOM.tmp``, and is
renamed into place when complete. A process killed mid-write leaves its temporary behind;
the next write to the same place removes the temporaries of processes that no longer run
(:func:`sweep_stale` does the same for a whole folder at start), so none outlives them.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import re
import secrets
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

_NAME_MAX = 255  # bytes in one file name on every file system vaedesk writes to
# ".NAME.PID-RANDOM.tmp"; an ".old" before ".tmp" marks a folder being replaced (atomic_dir)
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]{8}(?P<old>\.old)?\.tmp$", re.DOTALL)
# Temporaries of this process in use right now: never swept, even by another thread's write.
_in_use: set[str] = set()
_lock = threading.Lock()


def _short_name(name: str, room: int) -> str:
    """``name`` cut to at most ``room`` bytes of UTF-8 (whole characters only)."""
    encoded = name.encode("utf-8", "surrogateescape")
    if len(encoded) <= room:
        return name
    return encoded[:room].decode("utf-8", "ignore")


def _temporary_name(target: Path, old: bool = False) -> Path:
    suffix = f".{os.getpid()}-{secrets.token_hex(4)}{'.old' if old else ''}.tmp"
    # A legal 255-byte name plus the temporary's dot and suffix would be too long: the
    # temporary keeps as much of the name as fits, which is enough to tell whose it is.
    name = _short_name(target.name, _NAME_MAX - 1 - len(suffix.encode()))
    return target.with_name(f".{name}{suffix}")


def _is_running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    except (OverflowError, ValueError):  # no system hands out such a pid
        return False
    return True


def _stale(entry_name: str) -> re.Match | None:
    """The match of a temporary left by a process that no longer runs (or by this one and
    no longer in use), else None."""
    match = _TEMPORARY.match(entry_name)
    if match is None:
        return None
    pid = int(match.group("pid"))
    with _lock:
        if pid == os.getpid():
            return None if entry_name in _in_use else match
    return None if _is_running(pid) else match


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def sweep_stale(folder: str | os.PathLike) -> None:
    """Remove the temporaries that writers no longer running left in ``folder``. A folder
    whose replacement was cut short between its two renames is put back in place."""
    folder = Path(folder)
    try:
        names = sorted(entry.name for entry in os.scandir(folder))
    except OSError:
        return
    for name in names:
        match = _stale(name)
        if match is None:
            continue
        path = folder / name
        try:
            if match.group("old"):
                original = folder / match.group("name")
                if not original.exists():
                    if len(original.name.encode("utf-8", "surrogateescape")) < _NAME_MAX - 30:
                        os.replace(path, original)  # its replacement never arrived
                    continue  # a shortened name: keep it rather than guess where it belongs
            _remove(path)
        except OSError:
            pass


@contextlib.contextmanager
def _temporary(target: Path, make) -> Iterator[Path]:
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(target.parent)
    tmp = _temporary_name(target)
    with _lock:
        _in_use.add(tmp.name)
    try:
        make(tmp)
        yield tmp
    finally:
        with _lock:
            _in_use.discard(tmp.name)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    The temporary file lives in the same folder so the final ``os.replace`` is atomic.
    On any exception (including KeyboardInterrupt) the temporary file is removed and the
    previous content of ``target``, if any, is left untouched.
    """
    target = Path(target)
    # Created empty with the usual permissions (0666 less the umask), unlike mkstemp's 0600.
    create = lambda tmp: os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))  # noqa: E731
    with _temporary(target, create) as tmp:
        try:
            yield tmp
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def write_new(target: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` as the new file ``target``, complete or not at all; FileExistsError
    (and nothing written) when ``target`` exists, even if it appeared meanwhile."""
    target = Path(target)
    create = lambda tmp: os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))  # noqa: E731
    with _temporary(target, create) as tmp:
        try:
            tmp.write_bytes(data)
            os.link(tmp, target)  # unlike a rename, never replaces a file
        finally:
            tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; move it into place on success.

    An existing folder at ``target`` is replaced only once the new one is complete, and
    atomically where the system can swap two names (Linux); elsewhere a crash between the
    two renames leaves the old folder aside, and the next write or sweep puts it back.
    """
    target = Path(target)
    with _temporary(target, lambda tmp: os.mkdir(tmp, 0o777)) as tmp:
        try:
            yield tmp
            if not target.exists():
                os.replace(tmp, target)
            elif _exchange(tmp, target):
                shutil.rmtree(tmp, ignore_errors=True)  # now the old folder
            else:
                old = _temporary_name(target, old=True)
                os.replace(target, old)
                os.replace(tmp, target)
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def _renameat2():
    if not hasattr(os, "sched_getaffinity"):  # not Linux
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return function


_RENAMEAT2 = _renameat2()
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap the names ``a`` and ``b`` in one step; False where the system cannot."""
    if _RENAMEAT2 is None:
        return False
    result = _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    error = ctypes.get_errno()
    if error in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: not on this file system or kernel
        return False
    raise OSError(error, os.strerror(error), str(b))
