"""Bounds and messages at the library's edges: what a caller or a file can ask for is
checked by the function that would pay for it, and refused in one line that names the
real problem (issue 11)."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from vaedesk.errors import DataError, ImageError
from vaedesk.idx import read_idx
from vaedesk.preprocess import load_image

from tests.conftest import REPO

# --------------------------------------------------------------------------- files


def _png(path: Path, width: int, depth: int, colour: int, rows: list[tuple[int, bytes]]) -> Path:
    """A PNG of ``rows``: (count, pixel bytes of one row) runs, compressed a block at a time."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor, parts = zlib.compressobj(9), []
    for count, row in rows:
        for start in range(0, count, 100_000):
            parts.append(compressor.compress((b"\x00" + row) * min(100_000, count - start)))
    parts.append(compressor.flush())
    height = sum(count for count, _ in rows)
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b""))
    return path


_PEAK = """
import resource, sys
from vaedesk.preprocess import preprocess_file
try:
    preprocess_file(sys.argv[1])
    outcome = "ok"
except Exception as exc:
    outcome = f"{type(exc).__name__}: {exc}"
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, outcome)
"""


def _peak_mb(path: Path) -> tuple[int, str]:
    result = subprocess.run([sys.executable, "-c", _PEAK, str(path)], capture_output=True, text=True, cwd=REPO,
                            check=True)
    peak, outcome = result.stdout.strip().split(" ", 1)
    return int(peak), outcome


def test_image_decoding_is_bounded_in_bytes_not_pixels(tmp_path):
    # 0.7 MB: 1 x 39.9 M pixels of 16-bit RGBA, under the pixel limit. Pillow would need
    # 160 MB of pixels and 320 MB of row pointers (1.97 GB resident before the bound).
    ink, paper = b"\xff" * 8, b"\x00" * 6 + b"\xff\xff"
    tall = _png(tmp_path / "tall.png", 1, 16, 6, [(10**7, paper), (10**7, ink), (19_900_000, paper)])
    peak, outcome = _peak_mb(tall)
    assert outcome.startswith(f"ImageError: {tall}: image too large to decode (1x39900000 RGBA needs 457 MB"), outcome
    assert peak < 100, f"{peak} MB resident to refuse it"


def test_converting_a_large_image_does_not_multiply_its_memory(tmp_path):
    # 87 kB of 16-bit grey, 6300 x 6300 (79 MB decoded): its int32 and float64 copies took
    # 1.1 GB resident before the conversion was done tile by tile.
    side = 6300
    paper = bytes(2 * side)
    grey = _png(tmp_path / "grey16.png", side, 16, 0, [(2000, paper), (600, b"\xff\xff" * side), (3700, paper)])
    peak, outcome = _peak_mb(grey)
    assert outcome == "ok", outcome
    assert peak < 250, f"{peak} MB resident for a 79 MB image"


def test_images_and_idx_files_must_be_regular_files(tmp_path):
    loop = tmp_path / "loop.png"
    loop.symlink_to(tmp_path / "loop2.png")
    (tmp_path / "loop2.png").symlink_to(loop)
    cases = [(loop, "a symbolic link that loops"),
             (Path("/dev/zero"), "not a regular file (a device, pipe or socket)"),
             (Path("/proc/self/status"), "not a regular file (a system file of unknown size)")]
    fifo = tmp_path / "fifo.png"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    cases.append((fifo, "not a regular file (a device, pipe or socket)"))
    for path, problem in cases:
        for read, error in ((load_image, ImageError), (read_idx, DataError)):
            with pytest.raises(error) as info:
                read(path)
            assert str(info.value) == f"{path}: {problem}"


@pytest.mark.parametrize("path", [5, None, b"digit.png", ["digit.png"]])
def test_a_path_that_is_not_a_path_is_refused(path):
    for read, error in ((load_image, ImageError), (read_idx, DataError)):
        with pytest.raises(error, match=f"expected a file path, got {type(path).__name__}$"):
            read(path)


def test_a_nul_byte_in_a_path_is_named():
    for read, error in ((load_image, ImageError), (read_idx, DataError)):
        with pytest.raises(error, match=r"not a valid file name \(it contains a NUL byte\)$"):
            read("digit\0.png")
