"""Read a small file the user may have tampered with: regular files only, never past a limit.

``Path.read_text`` trusts the file: a FIFO blocks forever, a link to ``/dev/zero`` is read
without end, and ``st_size`` of a ``/proc`` file says 0 while it holds text. Here the file
is opened without blocking, refused unless it is a regular file, and read in chunks up to
``limit`` bytes whatever ``st_size`` says.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .errors import VaedeskError

_CHUNK = 1 << 20


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symbolic link that loops"
    return exc.strerror or str(exc)


def read_limited(path: str | os.PathLike, limit: int, error: type[VaedeskError], what: str) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Raises ``error`` with a one-line message naming ``what`` (e.g. "session file") when the
    file is missing, not a regular file, unreadable or larger than ``limit``.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except OSError as exc:
        raise error(f"{path}: cannot open the {what} ({_reason(exc)})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "a device, pipe or socket"
            raise error(f"{path}: the {what} is {kind}, not a regular file")
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} ({_reason(exc)})") from None
    finally:
        os.close(fd)
    if total > limit:
        raise error(f"{path}: the {what} is larger than {limit:,} bytes")
    return b"".join(chunks)
