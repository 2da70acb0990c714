"""Read and write IDX files, the format MNIST and Fashion-MNIST are distributed in.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the data in C order. Files may be
gzip-compressed. Every problem raises :class:`DataError` naming the file.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from .atomic import atomic_path
from .errors import DataError

# IDX type codes -> big-endian NumPy dtypes.
_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in _DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
# Refuse headers that claim absurd sizes before allocating anything.
_MAX_ELEMENTS = 2_000_000_000


def _raw_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, expected an IDX file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"{path}: corrupt or truncated gzip data ({exc})") from None
    return data


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Return the array stored in an IDX file (gzipped or not), in native byte order."""
    path = Path(path)
    data = _raw_bytes(path)
    if len(data) < 4:
        raise DataError(f"{path}: too short to be an IDX file ({len(data)} bytes)")
    zero, type_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or type_code not in _DTYPES:
        raise DataError(f"{path}: not an IDX file (bad magic number 0x{data[:4].hex()})")
    if ndim == 0:
        raise DataError(f"{path}: IDX header declares zero dimensions")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise DataError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", data[4:header_len])
    dtype = _DTYPES[type_code]
    count = int(np.prod(shape, dtype=np.int64))
    if count > _MAX_ELEMENTS:
        raise DataError(f"{path}: IDX header claims an implausible size {shape}")
    expected = count * dtype.itemsize
    actual = len(data) - header_len
    if actual < expected:
        raise DataError(
            f"{path}: truncated: header says {shape} ({expected} bytes of data), found {actual}"
        )
    if actual > expected:
        raise DataError(
            f"{path}: {actual - expected} unexpected bytes after the data declared by the header {shape}"
        )
    array = np.frombuffer(data, dtype=dtype, count=count, offset=header_len).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray, *, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file, gzipped when the name ends in .gz (atomically)."""
    path = Path(path)
    array = np.asarray(array)
    code = _CODES.get(array.dtype)
    if code is None:
        raise DataError(f"{path}: dtype {array.dtype} cannot be stored in an IDX file")
    if array.ndim == 0 or array.ndim > 255:
        raise DataError(f"{path}: cannot store a {array.ndim}-dimensional array in an IDX file")
    header = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(_DTYPES[code], copy=False).tobytes()
    if compress is None:
        compress = path.suffix == ".gz"
    if compress:
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    with atomic_path(path) as tmp:
        tmp.write_bytes(payload)
