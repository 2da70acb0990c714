"""Property-based tests: hostile drawings and image arrays given to vaedesk.data.strokes and .images.

Whatever a caller passes, preprocess_strokes / preprocess_image either return a finite
float32 (28, 28) array in [0, 1] or raise DrawingError / ImageError with a one-line message
that names the problem; nothing else may escape.
"""

from __future__ import annotations

import io
import math
import re
import struct
import time
import zlib
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from vaedesk.data.images import preprocess_image
from vaedesk.data.mnist_frame import MNIST_CENTRE
from vaedesk.data.strokes import MAX_COORDINATE, MAX_PEN_WIDTH, MAX_POINTS, MIN_PEN_WIDTH, preprocess_strokes
from vaedesk.errors import DrawingError, ImageError

# Slow cases (tens of thousands of points, full-size images) get a fraction of the budget.
FEW = settings(max_examples=max(5, settings.default.max_examples // 6))


def assert_digit(out: np.ndarray) -> None:
    assert isinstance(out, np.ndarray) and out.shape == (28, 28) and out.dtype == np.float32
    assert np.isfinite(out).all()
    assert out.min() >= 0.0 and out.max() <= 1.0


def assert_one_line(exc: BaseException, *patterns: str) -> None:
    """The message is one line and matches one of ``patterns`` (a specific cause)."""
    message = str(exc)
    assert message and "\n" not in message
    assert any(re.search(p, message) for p in patterns), message


# --------------------------------------------------------------------------- strokes

finite = st.floats(-MAX_COORDINATE, MAX_COORDINATE, allow_nan=False, allow_infinity=False)
# Canvas-like coordinates, plus values that stress the scale (tiny and huge extents).
coordinate = st.one_of(st.floats(-300, 300, allow_nan=False), finite, st.integers(-1000, 1000))
point = st.tuples(coordinate, coordinate)


@st.composite
def stroke(draw, min_size=0, max_size=40):
    points = draw(st.lists(point, min_size=min_size, max_size=max_size))
    if points and draw(st.booleans()):  # duplicate points, as a still mouse produces
        points = [p for p in points for _ in range(draw(st.integers(1, 3)))]
    as_type = draw(st.sampled_from(["list", "tuple", "array", "float32"]))
    if as_type == "tuple":
        return tuple(points)
    if as_type == "list":
        return [list(p) for p in points]
    return np.array(points, dtype=np.float32 if as_type == "float32" else np.float64).reshape(-1, 2)


@st.composite
def drawing(draw):
    strokes = draw(st.lists(stroke(), min_size=1, max_size=8))
    assume(any(len(s) for s in strokes))
    return strokes


pen_width = st.one_of(st.none(), st.floats(MIN_PEN_WIDTH, MAX_PEN_WIDTH), st.integers(1, 10))


def centre_of_mass(out: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(out.shape)
    mass = float(out.sum())
    return float((rows * out).sum()) / mass, float((cols * out).sum()) / mass


@given(drawing(), pen_width)
def test_valid_drawings_become_digits_that_fit_the_box(strokes, pen):
    out = preprocess_strokes(strokes, pen_width=pen)
    assert_digit(out)
    assert out.max() > 0.0, "a drawing with points always leaves ink"
    # MNIST convention: the ink fits a 20x20 box (plus one partly inked pixel each side from
    # anti-aliasing and the subpixel shift). Centring by mass may push a lopsided drawing's
    # far end off the field, as in MNIST, so the centre is checked on dots below.
    rows, cols = np.flatnonzero(out.any(axis=1)), np.flatnonzero(out.any(axis=0))
    assert rows[-1] - rows[0] + 1 <= 22 and cols[-1] - cols[0] + 1 <= 22


@given(point, st.integers(1, 50), pen_width)
def test_single_point_and_repeated_point_are_the_same_centred_dot(p, repeats, pen):
    one = preprocess_strokes([[p]], pen_width=pen)
    assert_digit(one)
    cy, cx = centre_of_mass(one)
    assert abs(cy - MNIST_CENTRE) < 1e-3 and abs(cx - MNIST_CENTRE) < 1e-3
    assert np.array_equal(preprocess_strokes([[p] * repeats], pen_width=pen), one)
    assert np.array_equal(preprocess_strokes([[], [p], []], pen_width=pen), one)


@given(drawing())
def test_empty_strokes_anywhere_change_nothing(strokes):
    padded = [[]] + [s for stroke_ in strokes for s in (stroke_, [])]
    assert np.array_equal(preprocess_strokes(padded), preprocess_strokes(strokes))


not_a_drawing = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(), st.binary(),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=3),
    st.sets(st.integers(), max_size=3), st.builds(lambda: (x for x in [[0, 0]])),
    st.builds(object), hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=4)),
)


@given(not_a_drawing)
def test_not_a_list_of_strokes(strokes):
    with pytest.raises(DrawingError) as info:
        preprocess_strokes(strokes)
    assert_one_line(info.value, r"list of strokes", r"got an array of shape")


@given(st.lists(st.one_of(st.just([]), st.just(()), st.just(np.zeros((0, 2))), st.just(np.zeros((0, 3)))),
                max_size=5))
def test_drawings_without_points_are_empty(strokes):
    with pytest.raises(DrawingError, match="empty") as info:
        preprocess_strokes(strokes)
    assert_one_line(info.value, r"drawing is empty")


# One bad value anywhere in an otherwise valid drawing -> the bad stroke is named.
non_finite = st.sampled_from([math.nan, math.inf, -math.inf, np.float32("nan"), np.float64("-inf")])
out_of_range = st.one_of(
    st.floats(MAX_COORDINATE * 1.0000001, 1e308), st.floats(-1e308, -MAX_COORDINATE * 1.0000001),
    st.integers(int(MAX_COORDINATE) + 1, 10**30), st.integers(10**300, 10**400), st.integers(-(10**400), -(10**300)),
)
not_a_number = st.one_of(
    st.none(), st.text(max_size=5), st.sampled_from(["1", "2.5", "nan", b"3"]), st.complex_numbers(allow_nan=False),
    st.builds(object), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.integers()),
)


@st.composite
def poisoned_drawing(draw, bad_value):
    strokes = draw(st.lists(st.lists(point, min_size=1, max_size=6), min_size=1, max_size=4))
    strokes = [[list(p) for p in s] for s in strokes]
    i = draw(st.integers(0, len(strokes) - 1))
    j = draw(st.integers(0, len(strokes[i]) - 1))
    strokes[i][j][draw(st.integers(0, 1))] = draw(bad_value)
    return strokes, i


@given(poisoned_drawing(non_finite))
def test_non_finite_coordinates(case):
    strokes, i = case
    with pytest.raises(DrawingError) as info:
        preprocess_strokes(strokes)
    assert_one_line(info.value, rf"^stroke {i} has NaN or infinite coordinates$")


@given(poisoned_drawing(out_of_range))
def test_coordinates_out_of_range(case):
    strokes, i = case
    with pytest.raises(DrawingError) as info:
        preprocess_strokes(strokes)
    assert_one_line(info.value, rf"^stroke {i} has coordinates out of range")


@given(poisoned_drawing(not_a_number))
def test_coordinates_that_are_not_numbers(case):
    strokes, i = case
    with pytest.raises(DrawingError) as info:
        preprocess_strokes(strokes)
    # A list in place of a number makes the stroke ragged or 3-D: a shape problem.
    assert_one_line(info.value, rf"^stroke {i} is not an array of numeric", rf"^stroke {i} has shape")


wrong_shape_stroke = st.one_of(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=4, max_side=4), elements=st.just(1.0)).filter(
        lambda a: a.size and not (a.ndim == 2 and a.shape[1] == 2)),
    st.lists(st.floats(0, 10), min_size=1, max_size=5),  # a flat list of numbers
    st.lists(st.lists(st.floats(0, 10), min_size=3, max_size=5), min_size=1, max_size=3),  # (x, y, z)
    st.lists(st.lists(st.lists(st.floats(0, 10), min_size=2, max_size=2), min_size=1, max_size=2),
             min_size=1, max_size=2),  # one level too deep
    st.just([[0.0, 1.0], [2.0]]),  # ragged
)


@given(st.lists(stroke(min_size=1, max_size=5), max_size=3), wrong_shape_stroke, st.data())
def test_strokes_of_the_wrong_shape(good, bad, data):
    i = data.draw(st.integers(0, len(good)))
    strokes = [*good[:i], bad, *good[i:]]
    with pytest.raises(DrawingError) as info:
        preprocess_strokes(strokes)
    assert_one_line(info.value, rf"^stroke {i} has shape .* expected \(K, 2\)$",
                    rf"^stroke {i} is not an array of numeric")


@given(st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=3), st.builds(object)))
def test_strokes_that_are_not_sequences_or_are_text(bad):
    with pytest.raises(DrawingError) as info:
        preprocess_strokes([[[0, 0], [1, 1]], bad])
    assert_one_line(info.value, r"^stroke 1 is not a sequence of points$", r"^stroke 1 is not an array of numeric")


@FEW
@given(st.lists(st.integers(1, 3000), min_size=1, max_size=60).filter(lambda sizes: sum(sizes) <= MAX_POINTS),
       st.integers(1, 30_000))
def test_too_many_points_are_refused_before_drawing(sizes, extra):
    # Many small strokes plus one that crosses the limit.
    strokes = [np.zeros((n, 2)) for n in sizes] + [np.zeros((MAX_POINTS - sum(sizes) + extra, 2))]
    with pytest.raises(DrawingError) as info:
        preprocess_strokes(strokes)
    assert_one_line(info.value, rf"^drawing has more than {MAX_POINTS} points$")


@pytest.mark.slow
@FEW
@given(st.integers(2000, 20_000), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_thousands_of_strokes_still_work(n, points, seed):
    rng = np.random.default_rng(seed)
    strokes = list(rng.uniform(0, 280, (n, points, 2)))
    started = time.perf_counter()
    assert_digit(preprocess_strokes(strokes))
    assert time.perf_counter() - started < 10.0


@given(st.one_of(
    st.floats(max_value=MIN_PEN_WIDTH * 0.9999999), st.floats(min_value=MAX_PEN_WIDTH * 1.0000001),
    st.just(math.nan),
    st.text(max_size=3), st.booleans(), st.builds(object), st.just([2.5]), st.just(Fraction(5, 2)),
))
def test_bad_pen_width(pen):
    with pytest.raises(DrawingError) as info:
        preprocess_strokes([[[0, 0], [10, 10]]], pen_width=pen)
    assert_one_line(info.value, r"^pen width must be")


# --------------------------------------------------------------------------- image arrays

numeric_dtypes = st.sampled_from([
    np.bool_, np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.uint64, np.int64,
    np.float16, np.float32, np.float64,
])


@st.composite
def numeric_image(draw, max_side=48):
    dtype = np.dtype(draw(numeric_dtypes))
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=max_side))
    if dtype.kind == "f":
        elements = st.floats(width=8 * dtype.itemsize, allow_nan=False, allow_infinity=False)
    else:
        elements = None
    array = draw(hnp.arrays(dtype, shape, elements=elements))
    if draw(st.booleans()):  # a blob of "ink" so that many cases are real digits
        y, x = draw(st.integers(0, shape[0] - 1)), draw(st.integers(0, shape[1] - 1))
        high = True if dtype.kind == "b" else min(255, np.iinfo(dtype).max) if dtype.kind in "iu" else 1.0
        array[y : y + max(1, shape[0] // 3), x : x + max(1, shape[1] // 4)] = high
    return array


def check_image_result(image):
    try:
        out = preprocess_image(image)
    except ImageError as exc:
        assert_one_line(exc, r"^image is blank \(", r"^image is empty")
    else:
        assert_digit(out)
        assert out.max() > 0.0


@given(numeric_image())
def test_numeric_arrays_give_a_digit_or_say_blank(array):
    check_image_result(array)


@given(st.sampled_from([np.float16, np.float32, np.float64]), st.data())
def test_extreme_float_ranges(dtype, data):
    info = np.finfo(dtype)
    shape = data.draw(hnp.array_shapes(min_dims=2, max_dims=2, min_side=2, max_side=24))
    extremes = st.sampled_from([float(info.max), -float(info.max), float(info.tiny), 0.0, 1.0, -1.0])
    array = data.draw(hnp.arrays(dtype, shape, elements=extremes))
    check_image_result(array)


@given(st.sampled_from([np.float16, np.float32, np.float64]), st.sampled_from([np.nan, np.inf, -np.inf]),
       numeric_image(max_side=16), st.data())
def test_non_finite_pixels(dtype, value, array, data):
    with np.errstate(over="ignore"):  # large values become inf in float16: also non-finite
        array = array.astype(dtype)
    y = data.draw(st.integers(0, array.shape[0] - 1))
    x = data.draw(st.integers(0, array.shape[1] - 1))
    array[y, x] = value
    with pytest.raises(ImageError) as info:
        preprocess_image(array)
    assert_one_line(info.value, r"^image has NaN or infinite values$")


@given(hnp.arrays(np.uint8, hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=4)).filter(
    lambda a: a.ndim != 2))
def test_arrays_that_are_not_two_dimensional(array):
    with pytest.raises(ImageError) as info:
        preprocess_image(array)
    assert_one_line(info.value, r"^image array must be 2-D, got shape")


@given(st.tuples(st.integers(0, 5), st.integers(0, 5)).filter(lambda s: 0 in s), numeric_dtypes)
def test_arrays_without_pixels(shape, dtype):
    with pytest.raises(ImageError) as info:
        preprocess_image(np.zeros(shape, dtype))
    assert_one_line(info.value, r"^image is empty \(")


@given(st.one_of(
    hnp.arrays(st.sampled_from([np.complex64, np.complex128]), (4, 4)),
    hnp.arrays(hnp.unicode_string_dtypes(), (3, 3)), hnp.arrays(hnp.byte_string_dtypes(), (3, 3)),
    hnp.arrays(hnp.datetime64_dtypes(), (3, 3)), hnp.arrays(hnp.timedelta64_dtypes(), (3, 3)),
    st.builds(lambda: np.full((3, 3), None, dtype=object)),
))
def test_arrays_of_unusable_dtypes(array):
    with pytest.raises(ImageError) as info:
        preprocess_image(array)
    assert_one_line(info.value, r"^image array has unsupported dtype")


@given(st.one_of(st.none(), st.integers(), st.text(max_size=4), st.binary(max_size=4),
                 st.lists(st.lists(st.integers(0, 255), min_size=2, max_size=2), max_size=2)))
def test_not_an_image(value):
    with pytest.raises(ImageError) as info:
        preprocess_image(value)
    assert_one_line(info.value, r"^expected a PIL image or a 2-D numpy array")


# --------------------------------------------------------------------------- Pillow images

PIL_MODES = ["1", "L", "P", "RGB", "RGBA", "RGBX", "RGBa", "CMYK", "YCbCr", "LAB", "HSV",
             "I", "I;16", "I;16L", "I;16B", "I;16N", "F", "LA", "La", "PA"]


@st.composite
def pil_image(draw, max_side=40):
    mode = draw(st.sampled_from(PIL_MODES))
    width, height = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    n_bytes = len(Image.new(mode, (width, height)).tobytes())
    raw = draw(st.one_of(
        st.binary(min_size=n_bytes, max_size=n_bytes),
        # Mostly one value with a block of another: paper and a stroke of ink.
        st.tuples(st.integers(0, 255), st.integers(0, 255)).map(
            lambda pair: bytes([pair[0]]) * (n_bytes // 2) + bytes([pair[1]]) * (n_bytes - n_bytes // 2)),
    ))
    image = Image.frombytes(mode, (width, height), raw)
    if mode == "P" and draw(st.booleans()):
        image.info["transparency"] = draw(st.integers(0, 255))
    return image


@given(pil_image())
def test_every_pillow_mode_gives_a_digit_or_says_why_not(image):
    try:
        out = preprocess_image(image)
    except ImageError as exc:
        # Random float bytes ("F") can hold NaN; everything else is a digit or blank.
        assert_one_line(exc, r"^image is blank \(", r"^image has NaN or infinite values$")
    else:
        assert_digit(out)
        assert out.max() > 0.0


def png_claiming(width: int, height: int, mode: str) -> bytes:
    """A valid 1x1 PNG whose header then claims ``width`` x ``height`` pixels."""
    buf = io.BytesIO()
    Image.new(mode, (1, 1)).save(buf, format="PNG")
    data = buf.getvalue()
    ihdr = b"IHDR" + struct.pack(">II", width, height) + data[24:29]
    return data[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + data[33:]


@FEW
@given(st.sampled_from(["1", "L", "RGB", "RGBA", "I;16"]), st.integers(1, 20_000),
       st.integers(40_000_001, 89_000_000))
def test_huge_images_are_refused_before_their_pixels_are_read(mode, height, pixels):
    width = pixels // height + 1  # below Pillow's own limit, so only vaedesk's check refuses it
    # Opened lazily: only the header has been read, and the pixels never will be.
    with Image.open(io.BytesIO(png_claiming(width, height, mode))) as image:
        with pytest.raises(ImageError) as info:
            preprocess_image(image)
    assert_one_line(info.value, r"^image is too large \(\d+x\d+ = \d+ pixels, limit 40000000\)$")
