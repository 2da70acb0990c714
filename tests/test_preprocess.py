"""Tests for vaedesk.data.strokes and vaedesk.data.images: MNIST-style normalisation of drawings and pictures."""

from __future__ import annotations

import io
import lzma
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vaedesk.data.images import load_image, preprocess_image
from vaedesk.data.mnist_frame import MNIST_CENTRE
from vaedesk.data.strokes import DEFAULT_PEN_WIDTH, preprocess_strokes
from vaedesk.errors import DrawingError, ImageError

MNIST_DIR = Path(__file__).resolve().parent.parent / "resources" / "data" / "mnist"


# --------------------------------------------------------------------------- helpers


def centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(img.shape)
    mass = img.sum()
    return float((rows * img).sum() / mass), float((cols * img).sum() / mass)


def ink_box(img: np.ndarray, threshold: float) -> tuple[int, int]:
    """(height, width) in pixels of the region above ``threshold``."""
    rows = np.flatnonzero((img > threshold).any(axis=1))
    cols = np.flatnonzero((img > threshold).any(axis=0))
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def two_drawing() -> list[np.ndarray]:
    """A hand-written '2' in a 280 px canvas, points about 2 px apart like a mouse."""
    t = np.radians(np.linspace(160, -40, 80))
    hump = np.stack((140 + 60 * np.cos(t), 110 - 60 * np.sin(t)), axis=1)
    diag = np.linspace(hump[-1], (78.0, 240.0), 60)
    base = np.linspace((78.0, 240.0), (210.0, 236.0), 60)
    cross = np.linspace((150.0, 30.0), (150.0, 60.0), 12)  # an extra small stroke
    return [np.concatenate((hump, diag, base)), cross]


@pytest.fixture(scope="module")
def mnist_digits() -> np.ndarray:
    """The first three MNIST test images as float32 in [0, 1]."""
    with lzma.open(MNIST_DIR / "t10k-images-idx3-ubyte.xz", "rb") as fh:
        raw = fh.read(16 + 3 * 784)
    return np.frombuffer(raw, np.uint8, offset=16).reshape(3, 28, 28).astype(np.float32) / 255


def digit_rgb(digit: np.ndarray, size: int = 140) -> Image.Image:
    """The digit as light ink on black, upscaled, as an RGB image."""
    gray = Image.fromarray((digit * 255).astype(np.uint8)).resize((size, size), Image.Resampling.BICUBIC)
    return gray.convert("RGB")


# --------------------------------------------------------------------------- strokes


def test_output_shape_dtype_range() -> None:
    out = preprocess_strokes(two_drawing())
    assert out.shape == (28, 28)
    assert out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert out.max() > 0.99  # the pen interior is fully inked


@pytest.mark.parametrize(
    "transform",
    [
        lambda s: s + np.array([137.0, -52.0]),  # translated
        lambda s: s * 0.3,  # drawn small
        lambda s: s * 3.0 + 500.0,  # drawn large on a big canvas
        lambda s: (s - 140.0) * 1.7 + 800.0,  # another canvas size
    ],
)
def test_invariant_to_translation_and_scale(transform) -> None:
    ref = preprocess_strokes(two_drawing())
    out = preprocess_strokes([transform(s) for s in two_drawing()])
    diff = np.abs(out - ref)
    assert diff.max() < 0.05
    assert diff.mean() < 0.002


def test_pen_width_is_in_output_pixels() -> None:
    ref = preprocess_strokes(two_drawing())
    big = preprocess_strokes([s * 3.0 for s in two_drawing()])
    thick = preprocess_strokes(two_drawing(), pen_width=4.0)
    # Scale does not change the stroke width, an explicit pen width does.
    assert abs(big.sum() - ref.sum()) < 0.01 * ref.sum()
    assert thick.sum() > 1.3 * ref.sum()
    assert np.abs(thick - ref).max() > 0.3


def test_centre_of_mass_at_mnist_centre() -> None:
    for strokes in (two_drawing(), [np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 40.0]])]):
        cy, cx = centre_of_mass(preprocess_strokes(strokes))
        assert abs(cy - MNIST_CENTRE) < 0.1 and abs(cx - MNIST_CENTRE) < 0.1


def test_fits_the_20_pixel_box() -> None:
    out = preprocess_strokes(two_drawing())
    # The ink, pen included, spans 20 px like MNIST; its half-intensity edge shows it.
    assert max(ink_box(out, 0.5)) in (19, 20, 21)
    assert max(ink_box(out, 0.0)) <= 22


def test_single_point_is_centred_dot() -> None:
    for strokes in ([[[50.0, 60.0]]], [np.array([[3.0, 4.0], [3.0, 4.0], [3.0, 4.0]])]):
        out = preprocess_strokes(strokes)
        cy, cx = centre_of_mass(out)
        assert abs(cy - MNIST_CENTRE) < 0.05 and abs(cx - MNIST_CENTRE) < 0.05
        area = np.pi * (DEFAULT_PEN_WIDTH / 2) ** 2
        assert abs(out.sum() - area) < 0.2 * area
        assert np.unravel_index(out.argmax(), out.shape) == (14, 14)


@pytest.mark.parametrize("axis", [0, 1])
def test_straight_lines_scale_by_their_length(axis: int) -> None:
    line = np.zeros((30, 2))
    line[:, 1 - axis] = 100.0
    line[:, axis] = np.linspace(10, 200, 30)
    out = preprocess_strokes([line])
    extent = ink_box(out, 0.5)
    long_side, short_side = (extent[1], extent[0]) if axis == 0 else (extent[0], extent[1])
    assert long_side in (19, 20, 21)
    assert short_side <= 4
    cy, cx = centre_of_mass(out)
    assert abs(cy - MNIST_CENTRE) < 0.1 and abs(cx - MNIST_CENTRE) < 0.1


def test_empty_strokes_are_skipped() -> None:
    ref = preprocess_strokes(two_drawing())
    out = preprocess_strokes([np.zeros((0, 2)), *two_drawing(), []])
    assert np.array_equal(out, ref)


@pytest.mark.parametrize(
    "strokes, message",
    [
        (5, "list of strokes"),
        ("abc", "list of strokes"),
        ({"a": 1}, "list of strokes"),
        (np.zeros((5, 2)), "shape"),
        ([np.zeros((4, 3))], "shape"),
        ([np.zeros(4)], "shape"),
        ([[1, 2, 3]], "shape"),
        ([[["a", "b"]]], "numeric"),
        ([5], "sequence"),
        ([], "empty"),
        ([[], np.zeros((0, 2))], "empty"),
        ([np.array([[0.0, 1.0], [np.nan, 2.0]])], "NaN"),
        ([np.array([[0.0, 1.0], [np.inf, 2.0]])], "infinite"),
        ([np.array([[0.0, 1.0], [2e6, 2.0]])], "out of range"),
        ([np.zeros((60_000, 2)), np.zeros((40_001, 2))], "100000 points"),
    ],
)
def test_drawing_errors(strokes, message: str) -> None:
    with pytest.raises(DrawingError, match=message) as info:
        preprocess_strokes(strokes)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("pen", [0.0, -1.0, float("nan"), 50.0, "2", True, 10**400])
def test_bad_pen_width(pen) -> None:
    with pytest.raises(DrawingError, match="pen width"):
        preprocess_strokes(two_drawing(), pen_width=pen)


# --------------------------------------------------------------------------- images


def test_mnist_digit_round_trip(mnist_digits: np.ndarray) -> None:
    for digit in mnist_digits:
        out = preprocess_image((digit * 255).round().astype(np.uint8))
        assert out.shape == (28, 28) and out.dtype == np.float32
        # Only the subpixel centring (MNIST itself is centred to +-0.5 px) changes it.
        assert np.abs(out - digit).mean() < 0.05
        cy, cx = centre_of_mass(out)
        assert abs(cy - MNIST_CENTRE) < 0.1 and abs(cx - MNIST_CENTRE) < 0.1


def test_dark_ink_photo_with_noise(mnist_digits: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    digit = mnist_digits[0]
    ref = preprocess_image(digit)
    ink = np.asarray(
        Image.fromarray((digit * 255).astype(np.uint8)).resize((168, 168), Image.Resampling.BICUBIC),
        dtype=np.float64,
    ) / 255
    paper = np.full((300, 200), 0.8)  # grey paper, 200 wide x 300 high
    paper[70:238, 16:184] -= 0.65 * ink  # dark ink
    rgb = np.stack((paper, paper * 0.97, paper * 0.9), axis=-1) + rng.normal(0, 0.04, (300, 200, 3))
    photo = Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8), "RGB")
    out = preprocess_image(photo)
    assert np.abs(out - ref).mean() < 0.05
    assert np.abs(out - ref).max() < 0.6


MODES = ["1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBX", "I", "I;16", "I;16B", "F",
         "CMYK", "YCbCr", "HSV", "LAB"]


@pytest.mark.parametrize("mode", MODES)
def test_every_pillow_mode(mode: str, mnist_digits: np.ndarray) -> None:
    ref = preprocess_image(digit_rgb(mnist_digits[1]))
    for paper in (False, True):  # light ink on black and dark ink on white
        img = digit_rgb(mnist_digits[1])
        if paper:
            img = Image.eval(img, lambda v: 255 - v)
        out = preprocess_image(img.convert(mode))
        tolerance = 0.06 if mode == "1" else 0.03  # "1" is dithered
        assert np.abs(out - ref).mean() < tolerance, (mode, paper)


def test_numeric_arrays(mnist_digits: np.ndarray) -> None:
    digit = mnist_digits[2]
    ref = preprocess_image(digit)
    assert np.abs(preprocess_image((digit * 65535).astype(np.uint16)) - ref).max() < 1e-3
    assert np.abs(preprocess_image(digit.astype(np.float64) * 255.0) - ref).max() < 1e-3
    assert np.abs(preprocess_image(digit * 7.0 - 3.0) - ref).max() < 1e-3
    assert np.abs(preprocess_image(digit > 0.5) - ref).mean() < 0.05
    assert np.abs(preprocess_image((digit * 1000).astype(np.int32) - 500) - ref).max() < 0.01


@pytest.mark.parametrize("ink_value, hidden_value", [(0, 0), (0, 255), (255, 255), (255, 0)])
def test_ink_on_transparent_background(ink_value: int, hidden_value: int, mnist_digits: np.ndarray) -> None:
    digit = mnist_digits[0]
    ref = preprocess_image(digit)
    # Colour under the transparent pixels is arbitrary, even the same as the ink.
    rgba = np.zeros((28, 28, 4), dtype=np.uint8)
    rgba[..., :3] = ink_value
    rgba[..., 3] = (digit * 255).astype(np.uint8)
    rgba[rgba[..., 3] == 0, :3] = hidden_value
    out = preprocess_image(Image.fromarray(rgba, "RGBA"))
    assert np.abs(out - ref).mean() < 0.01


def test_animated_gif_uses_first_frame(mnist_digits: np.ndarray) -> None:
    frames = [Image.fromarray((d * 255).astype(np.uint8)).convert("P") for d in mnist_digits[:2]]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    buf.seek(0)
    gif = Image.open(buf)
    assert gif.n_frames == 2
    gif.seek(1)
    out = preprocess_image(gif)
    assert np.abs(out - preprocess_image(mnist_digits[0])).mean() < 0.01
    assert np.abs(out - preprocess_image(mnist_digits[1])).mean() > 0.05


@pytest.mark.parametrize(
    "image, message",
    [
        (np.zeros((28, 28), np.uint8), "blank"),
        (np.full((40, 30), 0.7), "blank"),
        (np.full((40, 30), True), "blank"),
        (Image.new("RGB", (50, 50), (200, 200, 200)), "blank"),
        (Image.new("RGBA", (50, 50), (0, 0, 0, 0)), "blank"),
        (np.zeros((0, 5)), "empty"),
        (Image.new("L", (0, 0)), "empty"),
        (np.zeros((4, 4, 3)), "2-D"),
        (np.zeros(10), "2-D"),
        (np.broadcast_to(np.uint8(0), (8000, 6000)), "too large"),
        (Image.new("1", (7000, 6000)), "too large"),
        (np.array([[0.0, np.nan], [1.0, 0.0]]), "NaN"),
        (np.zeros((3, 3), dtype=complex), "dtype"),
        ([[0, 1], [1, 0]], "PIL image"),
    ],
)
def test_image_errors(image, message: str) -> None:
    with pytest.raises(ImageError, match=message) as info:
        preprocess_image(image)
    assert "\n" not in str(info.value)


def test_faint_noise_is_blank() -> None:
    rng = np.random.default_rng(1)
    with pytest.raises(ImageError, match="blank"):
        preprocess_image(np.clip(0.6 + rng.normal(0, 0.02, (200, 200)), 0, 1))


# --------------------------------------------------------------------------- files


def png_bytes(size: tuple[int, int] = (64, 64)) -> bytes:
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (size[1], size[0]), dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def patch_png_size(data: bytes, width: int, height: int) -> bytes:
    """Rewrite the IHDR width/height (bytes 16-24) and its CRC."""
    assert data[12:16] == b"IHDR"
    ihdr = b"IHDR" + struct.pack(">II", width, height) + data[24:29]
    return data[:8] + data[8:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + data[33:]


def test_load_image_ok(tmp_path: Path) -> None:
    path = tmp_path / "digit.png"
    path.write_bytes(png_bytes())
    fds = set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    img = load_image(path)
    assert img.size == (64, 64) and img.mode == "L"
    assert np.asarray(img).shape == (64, 64)
    if fds is not None:  # the file handle is closed again
        assert set(os.listdir("/proc/self/fd")) <= fds


def test_load_image_first_frame(tmp_path: Path, mnist_digits: np.ndarray) -> None:
    frames = [Image.fromarray((d * 255).astype(np.uint8)) for d in mnist_digits[:2]]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    out = preprocess_image(load_image(path))
    assert np.abs(out - preprocess_image(mnist_digits[0])).mean() < 0.01


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("missing.png", None, "not found"),
        ("empty.png", b"", "empty"),
        ("notes.txt", b"hello, this is not an image\n" * 10, "not an image"),
        ("cut.png", png_bytes()[:600], "truncated or corrupt"),
        ("bomb.png", patch_png_size(png_bytes(), 100_000, 100_000), "too large"),
        ("big.png", patch_png_size(png_bytes(), 8000, 6000), "too large"),
    ],
)
def test_load_image_errors(tmp_path: Path, name: str, content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImageError, match=message) as info:
        load_image(path)
    assert name in str(info.value) and "\n" not in str(info.value)


def test_load_image_folder(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="folder"):
        load_image(tmp_path)
