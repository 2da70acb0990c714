"""Bounds and messages at the library's edges: what a caller or a file can ask for is
checked by the function that would pay for it, and refused in one line that names the
real problem."""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from vaedesk.data.idx import read_idx
from vaedesk.data.images import load_image
from vaedesk.errors import DataError, ImageError, VaedeskError

from tests.support.paths import REPO

# /proc, FIFOs and VmHWM
LINUX = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")

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
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts))
                     + chunk(b"IEND", b""))
    return path


# VmHWM, the peak resident memory of this process image: getrusage's ru_maxrss also counts
# what the parent (pytest) had resident when it forked the child.
_PEAK = """
import sys
from vaedesk.data.images import preprocess_file
try:
    preprocess_file(sys.argv[1])
    outcome = "ok"
except Exception as exc:
    outcome = f"{type(exc).__name__}: {exc}"
with open("/proc/self/status") as status:
    peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(peak_kb // 1024, outcome)
"""


def _peak_mb(path: Path) -> tuple[int, str]:
    result = subprocess.run([sys.executable, "-c", _PEAK, str(path)], capture_output=True, text=True, cwd=REPO,
                            check=True)
    peak, outcome = result.stdout.strip().split(" ", 1)
    return int(peak), outcome


@pytest.mark.subprocess
@LINUX
def test_image_decoding_is_bounded_in_bytes_not_pixels(tmp_path):
    # 0.7 MB: 1 x 39.9 M pixels of 16-bit RGBA, under the pixel limit. Pillow would need
    # 160 MB of pixels and 320 MB of row pointers (1.97 GB resident before the bound).
    ink, paper = b"\xff" * 8, b"\x00" * 6 + b"\xff\xff"
    tall = _png(tmp_path / "tall.png", 1, 16, 6, [(10**7, paper), (10**7, ink), (19_900_000, paper)])
    peak, outcome = _peak_mb(tall)
    assert outcome.startswith(f"ImageError: {tall}: image too large to decode (1x39900000 RGBA needs 457 MB"), outcome
    assert peak < 100, f"{peak} MB resident to refuse it"


@pytest.mark.subprocess
@LINUX
def test_converting_a_large_image_does_not_multiply_its_memory(tmp_path):
    # 87 kB of 16-bit grey, 6300 x 6300 (79 MB decoded): its int32 and float64 copies took
    # 1.1 GB resident before the conversion was done tile by tile.
    side = 6300
    paper = bytes(2 * side)
    grey = _png(tmp_path / "grey16.png", side, 16, 0, [(2000, paper), (600, b"\xff\xff" * side), (3700, paper)])
    peak, outcome = _peak_mb(grey)
    assert outcome == "ok", outcome
    assert peak < 250, f"{peak} MB resident for a 79 MB image"


@LINUX
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


# --------------------------------------------------------------------------- latent bounds

import numpy as np  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from vaedesk.errors import ExportError, LatentError  # noqa: E402
from vaedesk.export import save_gif, save_png_frames  # noqa: E402
from vaedesk.latent import geometry as latent  # noqa: E402
from vaedesk.latent.morphing import morph, morph_frames, resolve_endpoint  # noqa: E402
from vaedesk.latent.views import Projection  # noqa: E402
from vaedesk.support.limits import FRAMES_LIMIT, LATENT_LIMIT  # noqa: E402

TWO = np.array([[0.0, 0.0], [1.0, 1.0]])

# Each asked for memory in proportion to one number before it was bounded (10**9 frames:
# killed at 24 GB); now each is refused at once, naming the bound.
OVERSIZED = {
    "interpolate_path frames": (lambda: latent.interpolate_path(TWO, 10**9),
                                rf"n_frames must be at most {FRAMES_LIMIT}"),
    "interpolate_path points": (lambda: latent.interpolate_path(np.zeros((10**5, 2)), 3),
                                r"at most 1000 latent points"),
    "interpolate_path dims": (lambda: latent.interpolate_path(np.zeros((2, 10**5)), 3), r"at most 512 dimensions"),
    "parse_point dims": (lambda: latent.parse_point("0", 10**9), r"latent dimension must be at most 512"),
    "grid": (lambda: latent.grid((0, 1), (0, 1), 10**6), r"grid size must be at most 128"),
    "tile": (lambda: latent.tile(np.zeros((4, 2, 2)), 10**6), r"grid size must be at most 128"),
    "sigma_ellipse": (lambda: latent.sigma_ellipse([0, 0], [1, 1], 1, n=10**9), r"vertex count must be at most"),
    "covariance_ellipse": (lambda: latent.covariance_ellipse([0, 0], np.eye(2), 1, n=10**9),
                           r"vertex count must be at most"),
    "Projection.identity": (lambda: Projection.identity(10**9), r"must be at most 512"),
    "Projection.fit": (lambda: Projection.fit(np.zeros((2, 10**4))), r"at most 512 dimensions"),
    "grid range": (lambda: latent.grid((-1e308, 1e308), (0, 1), 2), r"x range is too wide"),
}


@pytest.mark.parametrize("name", sorted(OVERSIZED))
def test_latent_maths_bounds_its_sizes(name):
    call, message = OVERSIZED[name]
    with pytest.raises(LatentError, match=message):
        call()


def test_exports_bound_their_frames(tmp_path):
    for call in (save_gif, save_png_frames):
        with pytest.raises(ExportError, match=rf"at most {FRAMES_LIMIT} frames, got {FRAMES_LIMIT + 1}"):
            call(np.zeros((FRAMES_LIMIT + 1, 1, 1)), tmp_path / "a.gif")
        with pytest.raises(ExportError, match=r"at most 4096 pixels a side"):
            call(np.zeros((1, 1, 5000)), tmp_path / "a.gif")
    assert not any(tmp_path.iterdir())


beyond = st.floats(min_value=LATENT_LIMIT, exclude_min=True, allow_infinity=False)


@given(beyond, st.booleans(), st.integers(0, 1))
def test_latent_coordinates_beyond_the_limit_are_named(value, negative, index):
    value = -value if negative else value
    message = rf"^latent coordinates must lie within ±1000, got {re.escape(f'{value:g}')}$"
    point = ["0", "0"]
    point[index] = repr(value)
    with pytest.raises(LatentError, match=message):
        latent.parse_point(",".join(point), 2)
    points = TWO.copy()
    points[1, index] = value
    with pytest.raises(LatentError, match=message):
        latent.interpolate_path(points, 5)


# --------------------------------------------------------------------------- morph arguments

@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    import torch

    from vaedesk.model.model import Model, new_card
    from vaedesk.model.nets import AutoEncoder

    torch.manual_seed(0)
    return Model(AutoEncoder("vae", 2, width=2, hidden=4), new_card("vae", 2, width=2, hidden=4))


@pytest.mark.parametrize("endpoint, message", [
    ("test:-1", r"^test:-1: test index must be in 0\.\.9999$"),
    ("test:10000", r"^test:10000: test index must be in 0\.\.9999$"),
    ("test:seven", r"^test:seven: test index must be in 0\.\.9999$"),
    ("0,abc", r"^0,abc: not a latent point \(coordinate 2 is not a number: 'abc'; expected numbers like 0\.5,-1\.2\)$"),
    ("1e38,1e38", r"^latent coordinates must lie within ±1000, got 1e\+38$"),
    ("1e308,-1e308", r"^latent coordinates must lie within ±1000, got 1e\+308$"),
    (np.array([0.0, -1e38]), r"^latent coordinates must lie within ±1000, got -1e\+38$"),
    ({"x": 0, "y": 0}, r"^cannot use dict as a morph endpoint \(expected an image file, test:INDEX"),
    (b"0,0", r"^cannot use bytes as a morph endpoint"),
    (None, r"^cannot use NoneType as a morph endpoint"),
    (["a", "b"], r"^cannot use list as a morph endpoint"),
    (np.zeros(5), r"^cannot use array of shape \(5,\) as a morph endpoint"),
])
def test_morph_endpoints_name_their_problem(small_model, endpoint, message):
    with pytest.raises(LatentError, match=message):
        resolve_endpoint(small_model, endpoint)


def test_an_image_path_with_a_nul_byte_is_named(small_model):
    with pytest.raises(ImageError, match=r"not a valid file name \(it contains a NUL byte\)$"):
        resolve_endpoint(small_model, "digit\0.png")


@pytest.mark.parametrize("arguments, error, message", [
    (dict(frames="10"), ExportError, r"number of frames must be a whole number, got '10'"),
    (dict(frames=None), ExportError, r"number of frames must be a whole number, got None"),
    (dict(frames=2.5), ExportError, r"number of frames must be a whole number, got 2\.5"),
    (dict(frames=True), ExportError, r"number of frames must be a whole number, got True"),
    (dict(frames=10**12), ExportError, r"a morph has at most 10000 frames, got 1000000000000"),
    (dict(out=None), ExportError, r"expected a file or folder path to write, got NoneType"),
    (dict(out=3), ExportError, r"expected a file or folder path to write, got int"),
    (dict(out="a\0.gif"), ExportError, r"not a valid file name \(it contains a NUL byte\)"),
    (dict(endpoints="0,0"), LatentError, r"endpoints must be a list of morph endpoints, got str"),
    (dict(endpoints=None), LatentError, r"endpoints must be a list of morph endpoints, got NoneType"),
    (dict(endpoints=["0,0"] * 1001), LatentError, r"at most 1000 endpoints, got 1001"),
])
def test_morph_arguments_are_checked(small_model, tmp_path, monkeypatch, arguments, error, message):
    monkeypatch.chdir(tmp_path)
    options = {"endpoints": ["0,0", "1,1"], "out": "m.gif", **arguments}
    with pytest.raises(error, match=message):
        morph(small_model, options.pop("endpoints"), options.pop("out"), **options)
    if "out" not in arguments:
        with pytest.raises(error, match=message):
            morph_frames(small_model, options.get("endpoints", ["0,0", "1,1"]) if "endpoints" not in arguments
                         else arguments["endpoints"], frames=arguments.get("frames", 3))
    assert not any(tmp_path.iterdir())


# --------------------------------------------------------------------------- training settings and data

from vaedesk.training.config import TrainConfig, TrainingError  # noqa: E402

# Field: (values of the wrong type, the words naming the field).
WRONG_TYPES = {
    "latent_dim": (st.sampled_from([2.0, "2", True, None]), "latent dimension must be a whole number"),
    "epochs": (st.sampled_from(["3", 3.0, None, [3]]), "epochs must be a whole number"),
    "batch_size": (st.sampled_from([64.0, "64", False]), "batch size must be a whole number"),
    "seed": (st.floats(allow_nan=True) | st.just("0"), "seed must be a whole number"),
    "limit": (st.floats(allow_nan=True) | st.just("100"), "limit must be a whole number"),
    "width": (st.sampled_from([8.0, "8"]), "width must be a whole number"),
    "lr": (st.sampled_from(["0.001", None, b"1", True]), "learning rate must be a number"),
    "beta": (st.sampled_from(["1", None, {}]), "beta must be a number"),
    "augment": (st.sampled_from(["0.5", [0.5]]), "augment must be a number"),
}


@given(st.sampled_from(sorted(WRONG_TYPES)), st.data())
def test_train_config_refuses_wrong_types_where_it_is_made(field, data):
    values, words = WRONG_TYPES[field]
    with pytest.raises(TrainingError) as info:
        TrainConfig(**{field: data.draw(values)})
    assert words in str(info.value) and "\n" not in str(info.value)


@given(st.floats(min_value=1000, exclude_min=True) | st.floats(max_value=0, exclude_max=True) | st.just(float("nan")))
def test_beta_is_bounded(beta):
    # --beta 1e308 made the first loss infinite, reported as "diverged... lower the learning rate".
    with pytest.raises(TrainingError, match=r"^beta must be in \[0, 1000\], not "):
        TrainConfig(beta=beta)


@pytest.mark.parametrize("limit", [-5, 0, 2.5, True, "3"])
def test_load_split_refuses_a_limit_below_one(limit):
    from vaedesk.data.datasets import load_split

    # limit=-5 sliced from the end: 9,995 images.
    with pytest.raises(DataError, match=r"^limit must be a whole number of at least 1, got "):
        load_split("test", limit=limit)


def test_a_damaged_pen_style_cache_is_rebuilt(tmp_path):
    from vaedesk.data import penstyle
    from vaedesk.data.datasets import load_split

    images = load_split("train", limit=20).images
    fresh = penstyle.cached_pen_style(images, tmp_path)
    cache = next(tmp_path.iterdir())
    np.save(cache, np.full(images.shape, np.nan, np.float32))  # NaN: once blamed on the learning rate
    np.testing.assert_array_equal(penstyle.cached_pen_style(images, tmp_path), fresh)
    assert np.isfinite(np.load(cache)).all()  # and written again
    # A header claiming 10**12 images is never allocated.
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 28, 28), }"
    cache.write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header) + 1) + header + b"\n")
    np.testing.assert_array_equal(penstyle.cached_pen_style(images, tmp_path), fresh)


# --------------------------------------------------------------------------- the rest of the API

def test_idx_headers_are_bounded_in_bytes(tmp_path):
    import gzip

    # 1.1 G one-byte elements: under the old element bound, so up to 1.1 GB of zeros (a 1 MB
    # gzip file) would have been inflated into memory before the data was found to be wrong.
    path = tmp_path / "bomb.gz"
    path.write_bytes(gzip.compress(struct.pack(">HBBI", 0, 0x08, 1, 1_100_000_000) + bytes(1000)))
    with pytest.raises(DataError, match=r"bomb\.gz: IDX header claims an implausible size \(1100000000,\) "
                                        r"\(more than 1024 MB\)$"):
        read_idx(path)


def test_evaluation_and_training_bound_their_counts():
    from vaedesk.insight.evaluation import evaluate
    from vaedesk.training.loop import train

    with pytest.raises(VaedeskError, match=r"drawings must be a whole number in 0\.\.1000, got 1000000000"):
        evaluate(None, drawings=10**9)  # 10 billion synthetic drawings
    with pytest.raises(TrainingError, match=r"report_every must be a whole number of steps, at least 1, got 0"):
        train(TrainConfig(), report_every=0)  # a division by zero at the first step


def test_write_idx_refuses_what_read_idx_would_refuse(tmp_path):
    from vaedesk.data.idx import write_idx

    with pytest.raises(DataError, match=r"^expected a file path, got NoneType$"):
        write_idx(None, np.zeros(3, np.uint8))
    with pytest.raises(DataError, match=r"too large for an IDX file \(at most 1024 MB\)$"):
        write_idx(tmp_path / "x.idx", np.zeros((2**31, 0), np.uint8))  # read back as implausible
    (tmp_path / "afile").touch()
    with pytest.raises(DataError, match=r"afile/x\.idx: cannot write \(.+\)$"):  # was a raw OSError
        write_idx(tmp_path / "afile" / "x.idx", np.zeros(3, np.uint8))
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]
