"""Read and write IDX files, the format MNIST and Fashion-MNIST are distributed in.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the data in C order. Files may be
gzip- or xz-compressed (told by their content, not their name). Every problem raises
:class:`DataError` naming the file.
"""

from __future__ import annotations

import gzip
import io
import lzma
import math
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np

from vaedesk.errors import DataError
from vaedesk.support.atomic import atomic_path
from vaedesk.support.safe_read import open_regular

# IDX type codes -> big-endian NumPy dtypes.
_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in _DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
_XZ_MAGIC = b"\xfd7zXZ\x00"
# The memory an xz decoder may take: `xz -9e` needs 65 MB; a file asking for more (a
# dictionary up to 1.5 GB) is refused rather than allocated.
XZ_MEMLIMIT = 256 << 20
# Refuse headers that claim absurd sizes before reading anything: the data is read (and, in
# a gzip file, inflated) up to what the header declares, so 16 GB of zeros gzipped to 16 MB
# would otherwise be inflated. MNIST's largest file holds 47 MB; EMNIST's 0.55 GB.
MAX_IDX_BYTES = 1 << 30
_CHUNK = 1 << 20


def _open(path: str | os.PathLike) -> tuple[io.BufferedReader, str | None]:
    """The open regular file and its compression: "gzip", "xz" or None."""
    fh = open_regular(path, DataError, "an IDX file")
    try:
        head = fh.peek(len(_XZ_MAGIC))[: len(_XZ_MAGIC)]
    except OSError as exc:
        fh.close()
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if head.startswith(_GZIP_MAGIC):
        return fh, "gzip"
    return fh, ("xz" if head == _XZ_MAGIC else None)


class _Readable(Protocol):
    """What the IDX parser reads from: a file, a gzip stream or an :class:`_XzStream`."""

    def read(self, size: int, /) -> bytes: ...


class _XzStream:
    """An xz file's decompressed bytes, read with the decoder's memory bounded
    (:data:`XZ_MEMLIMIT`; ``lzma.LZMAFile`` has no such bound). After the stream's end only
    xz's zero padding may follow."""

    def __init__(self, fh: BinaryIO):
        self._fh = fh
        self._decoder = lzma.LZMADecompressor(lzma.FORMAT_XZ, memlimit=XZ_MEMLIMIT)

    def read(self, size: int) -> bytes:
        while not self._decoder.eof:
            chunk = b""
            if self._decoder.needs_input:
                chunk = self._fh.read(_CHUNK)
                if not chunk:
                    raise EOFError("the file ends before the end of the xz stream")
            data = self._decoder.decompress(chunk, max_length=size)
            if data:
                return data
        rest = self._decoder.unused_data
        while rest:
            if rest.strip(b"\0"):
                raise lzma.LZMAError("data after the end of the xz stream")
            rest = self._fh.read(_CHUNK)
        return b""


def _read(stream: _Readable, size: int, path: Path) -> bytearray:
    """Up to ``size`` bytes, read in chunks: memory grows with what the file really holds,
    never with what its header claims (``read(size)`` would allocate ``size`` up front)."""
    out = bytearray()
    try:
        while len(out) < size:
            chunk = stream.read(min(size - len(out), _CHUNK))
            if not chunk:
                break
            out += chunk
    except (OSError, EOFError, zlib.error, lzma.LZMAError) as exc:
        if isinstance(stream, gzip.GzipFile):
            raise DataError(f"{path}: corrupt or truncated gzip data ({exc})") from None
        if isinstance(stream, _XzStream):
            raise DataError(f"{path}: corrupt or truncated xz data ({exc})") from None
        raise DataError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    return out


def _claimed_bytes(shape: tuple[int, ...], dtype: np.dtype) -> int:
    """The bytes a shape's data takes, for the size bound. Python's exact product: NumPy's int64
    one wraps around, (65536,) * 4 -> 0 elements. Zero sides count as 1, as NumPy cannot even
    describe an empty (0, 2**31, 2**31) array."""
    return math.prod(max(side, 1) for side in shape) * dtype.itemsize


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Return the array stored in an IDX file (gzipped, xz-compressed or plain), in native
    byte order."""
    fh, compression = _open(path)
    path = Path(path)
    with fh:
        if compression == "gzip":
            return _parse(gzip.GzipFile(fileobj=fh, mode="rb"), path)
        return _parse(_XzStream(fh) if compression == "xz" else fh, path)


def _parse(stream: _Readable, path: Path) -> np.ndarray:
    # Read the header first and then no more than it declares (plus one byte to detect
    # extra data): a small gzip file that inflates to gigabytes is never inflated.
    head = _read(stream, 4, path)
    if len(head) < 4:
        raise DataError(f"{path}: too short to be an IDX file ({len(head)} bytes)")
    zero, type_code, ndim = struct.unpack(">HBB", head)
    if zero != 0 or type_code not in _DTYPES:
        raise DataError(f"{path}: not an IDX file (bad magic number 0x{head.hex()})")
    if ndim == 0:
        raise DataError(f"{path}: IDX header declares zero dimensions")
    dims = _read(stream, 4 * ndim, path)
    if len(dims) < 4 * ndim:
        raise DataError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", dims)
    dtype = _DTYPES[type_code]
    if _claimed_bytes(shape, dtype) > MAX_IDX_BYTES:
        raise DataError(f"{path}: IDX header claims an implausible size {shape} (more than {MAX_IDX_BYTES >> 20} MB)")
    count = math.prod(shape)
    expected = count * dtype.itemsize
    data = _read(stream, expected + 1, path)
    if len(data) < expected:
        raise DataError(
            f"{path}: truncated: header says {shape} ({expected} bytes of data), found {len(data)}"
        )
    if len(data) > expected:
        raise DataError(f"{path}: unexpected bytes after the data declared by the header {shape}")
    array = np.frombuffer(data, dtype=dtype, count=count).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)  # bytes need no swapping: no copy


def write_idx(path: str | os.PathLike, array: np.ndarray, *, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file (atomically), gzipped when the name ends in .gz (or
    ``compress`` is True), xz-compressed when it ends in .xz.

    Refuses (DataError) what :func:`read_idx` would refuse to read back: sides of 2**32 or
    more, or more than :data:`MAX_IDX_BYTES` of data.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise DataError(f"expected a file path, got {type(path).__name__}")
    path = Path(path)
    try:
        array = np.asarray(array)
    except (TypeError, ValueError):  # a ragged list
        raise DataError(f"{path}: only a rectangular array of numbers can be stored in an IDX file") from None
    code = _CODES.get(array.dtype)
    if code is None:
        raise DataError(f"{path}: dtype {array.dtype} cannot be stored in an IDX file")
    if array.ndim == 0 or array.ndim > 255:
        raise DataError(f"{path}: cannot store a {array.ndim}-dimensional array in an IDX file")
    if max(array.shape) >= 2**32 or _claimed_bytes(array.shape, array.dtype) > MAX_IDX_BYTES:
        raise DataError(f"{path}: an array of shape {array.shape} is too large for an IDX file "
                        f"(at most {MAX_IDX_BYTES >> 20} MB)")
    header = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(_DTYPES[code], copy=False).tobytes()
    xz = compress is None and path.suffix == ".xz"
    if compress is None:
        compress = path.suffix == ".gz"
    if compress:
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    elif xz:
        payload = lzma.compress(payload, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64)
    try:
        with atomic_path(path) as tmp:
            tmp.write_bytes(payload)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        reason = getattr(exc, "strerror", None) or str(exc)
        raise DataError(f"{path}: cannot write ({reason})") from None
