"""Read a small file the user may have tampered with: regular files only, never past a limit.

``Path.read_text`` trusts the file: a FIFO blocks forever, a link to ``/dev/zero`` is read
without end, and ``st_size`` of a ``/proc`` file says 0 while it holds text. Here the file
is opened without blocking, refused unless it is a regular file, and read in chunks up to
``limit`` bytes whatever ``st_size`` says.
"""

from __future__ import annotations

import errno
import io
import os
import stat
from pathlib import Path

from vaedesk.errors import VaedeskError

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


def open_regular(path: str | os.PathLike, error: type[VaedeskError], what: str) -> io.BufferedReader:
    """``path`` opened for streaming its bytes, if it is a regular file.

    For files too large to read whole (images, IDX data). Opened without blocking, so a
    FIFO cannot hang the open, and refused unless fstat says it is a regular file, so a
    device such as /dev/zero or a /proc file is named as such rather than read as an empty
    or endless file. Raises ``error`` with a one-line message naming ``path``; ``what``
    names the expected kind of file, e.g. "an image file".
    """
    if not isinstance(path, (str, os.PathLike)):
        raise error(f"expected a file path, got {type(path).__name__}")
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except ValueError:  # the system cannot even be asked about such a name
        raise error(f"{path}: not a valid file name (it contains a NUL byte)") from None
    except (FileNotFoundError, NotADirectoryError):
        raise error(f"{path}: file not found") from None
    except PermissionError:
        raise error(f"{path}: permission denied") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise error(f"{path}: {_reason(exc)}") from None
        raise error(f"{path}: cannot open ({_reason(exc)})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise error(f"{path}: is a folder, not {what}")
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{path}: not a regular file (a device, pipe or socket)")
        if info.st_size == 0 and os.read(fd, 1):
            # A /proc file says it holds 0 bytes and then produces text.
            raise error(f"{path}: not a regular file (a system file of unknown size)")
        os.lseek(fd, 0, os.SEEK_SET)
        return os.fdopen(fd, "rb")
    except OSError as exc:
        os.close(fd)
        raise error(f"{path}: cannot read ({_reason(exc)})") from None
    except BaseException:
        os.close(fd)
        raise
