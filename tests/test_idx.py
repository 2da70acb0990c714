import gzip
import hashlib
import lzma
from pathlib import Path

import numpy as np
import pytest

from vaedesk.data import idx
from vaedesk.data.datasets import load_split
from vaedesk.data.idx import read_idx, write_idx
from vaedesk.errors import DataError

from tests.support.paths import MNIST


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz", "a.idx.xz"])
def test_round_trip(tmp_path, dtype, name):
    array = (np.arange(2 * 3 * 4) - 5).astype(dtype).reshape(2, 3, 4)
    write_idx(tmp_path / name, array)
    back = read_idx(tmp_path / name)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


def test_gzip_detected_by_content_not_name(tmp_path):
    write_idx(tmp_path / "x", np.zeros((2, 2), np.uint8), compress=True)
    assert read_idx(tmp_path / "x").shape == (2, 2)


def test_xz_detected_by_content_not_name(tmp_path):
    write_idx(tmp_path / "a.xz", np.arange(6, dtype=np.uint8).reshape(2, 3))
    (tmp_path / "a.xz").rename(tmp_path / "y.gz")
    assert read_idx(tmp_path / "y.gz").tolist() == [[0, 1, 2], [3, 4, 5]]


def _xz_file(tmp_path, payload: bytes, name="d.xz") -> Path:
    path = tmp_path / name
    path.write_bytes(payload)
    return path


_IDX_3 = b"\x00\x00\x08\x01" + (3).to_bytes(4, "big") + b"\x07\x08\x09"


def test_xz_padding_after_the_stream_is_allowed(tmp_path):
    assert read_idx(_xz_file(tmp_path, lzma.compress(_IDX_3) + bytes(8))).tolist() == [7, 8, 9]


@pytest.mark.parametrize("damage, words", [
    (lambda data: data[: len(data) // 2], "truncated xz"),
    (lambda data: data[:12] + bytes(len(data) - 12), "xz data"),
    (lambda data: data + b"junk", "after the end of the xz stream"),
])
def test_corrupt_xz(tmp_path, damage, words):
    path = _xz_file(tmp_path, damage(lzma.compress(b"\x00\x00\x08\x01" + (5000).to_bytes(4, "big") + bytes(5000))))
    with pytest.raises(DataError, match=words):
        read_idx(path)


def test_xz_asking_for_too_much_decoder_memory_is_refused(tmp_path, monkeypatch):
    path = _xz_file(tmp_path, lzma.compress(_IDX_3, preset=6))  # an 8 MB dictionary
    monkeypatch.setattr(idx, "XZ_MEMLIMIT", 1 << 20)
    with pytest.raises(DataError, match="xz data.*[Mm]emory"):
        read_idx(path)


def test_xz_bomb_is_not_inflated(tmp_path):
    header = b"\x00\x00\x08\x01" + (1_100_000_000).to_bytes(4, "big")
    path = _xz_file(tmp_path, lzma.compress(header + bytes(1 << 20)))
    with pytest.raises(DataError, match="implausible size"):
        read_idx(path)


def test_bundled_mnist_counts():
    train, test = load_split("train"), load_split("test")
    assert train.images.shape == (60000, 28, 28) and test.images.shape == (10000, 28, 28)
    assert train.images.dtype == np.float32 and 0 <= train.images.min() and train.images.max() == 1.0
    assert np.bincount(test.labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def _bad(tmp_path, payload: bytes, gz=False):
    path = tmp_path / ("bad.gz" if gz else "bad")
    path.write_bytes(gzip.compress(payload) if gz else payload)
    with pytest.raises(DataError) as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    return message


def test_bad_magic(tmp_path):
    assert "magic" in _bad(tmp_path, b"\x12\x34\x08\x01" + b"\x00" * 8)


def test_unknown_type_code(tmp_path):
    assert "magic" in _bad(tmp_path, b"\x00\x00\x07\x01\x00\x00\x00\x01\x00")


def test_too_short(tmp_path):
    assert "too short" in _bad(tmp_path, b"\x00\x00")


def test_truncated_header(tmp_path):
    assert "header" in _bad(tmp_path, b"\x00\x00\x08\x03\x00\x00\x00\x02")


def test_truncated_data(tmp_path):
    # header: 3 images of 28x28, but only one image of data.
    header = b"\x00\x00\x08\x03" + (3).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
    assert "truncated" in _bad(tmp_path, header + bytes(784), gz=True)


def test_lying_dimensions_extra_bytes(tmp_path):
    header = b"\x00\x00\x08\x01" + (2).to_bytes(4, "big")
    assert "unexpected bytes" in _bad(tmp_path, header + bytes(10))


def test_huge_claimed_size(tmp_path):
    header = b"\x00\x00\x08\x03" + (0xFFFFFFFF).to_bytes(4, "big") * 3
    assert "implausible" in _bad(tmp_path, header)


def test_corrupt_gzip(tmp_path):
    data = gzip.compress(bytes(1000))
    path = tmp_path / "c.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="gzip"):
        read_idx(path)


def test_missing_and_folder(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_idx(tmp_path / "nope")
    with pytest.raises(DataError, match="folder"):
        read_idx(tmp_path)


def _make_folder(tmp_path, n_train=5, n_test=3, labels_train=None):
    rng = np.random.default_rng(0)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.arange(labels_train or n_train, dtype=np.uint8) % 10)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.arange(n_test, dtype=np.uint8))


def test_any_folder_in_standard_layout(tmp_path):
    _make_folder(tmp_path)
    split = load_split("train", tmp_path)
    assert split.images.shape == (5, 28, 28) and split.labels.tolist() == [0, 1, 2, 3, 4]
    assert len(load_split("train", tmp_path, limit=2)) == 2


def test_count_mismatch_between_images_and_labels(tmp_path):
    _make_folder(tmp_path, labels_train=4)
    with pytest.raises(DataError, match="5 images but 4 labels"):
        load_split("train", tmp_path)


def test_missing_file_in_folder(tmp_path):
    _make_folder(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="missing t10k-labels"):
        load_split("test", tmp_path)


def test_wrong_image_shape(tmp_path):
    _make_folder(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((5, 32, 32), np.uint8))
    with pytest.raises(DataError, match="28x28"):
        load_split("train", tmp_path)


# The SHA-256 of the four files as published (after gunzip): the bundled .xz files hold
# exactly these bytes.
MNIST_SHA256 = {
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
}


def test_bundled_files_are_standard_mnist_byte_for_byte():
    assert sorted(p.name for p in MNIST.glob("*.xz")) == [f"{stem}.xz" for stem in sorted(MNIST_SHA256)]
    for stem, digest in MNIST_SHA256.items():
        assert hashlib.sha256(lzma.decompress((MNIST / f"{stem}.xz").read_bytes())).hexdigest() == digest


def test_a_folder_of_xz_files_loads_like_one_of_gz_files(tmp_path):
    gz, xz = tmp_path / "gz", tmp_path / "xz"
    gz.mkdir()
    xz.mkdir()
    _make_folder(gz)
    for path in gz.iterdir():
        write_idx(xz / path.name.replace(".gz", ".xz"), read_idx(path))
    for split in ("train", "test"):
        a, b = load_split(split, gz), load_split(split, xz)
        np.testing.assert_array_equal(a.images, b.images)
        np.testing.assert_array_equal(a.labels, b.labels)
