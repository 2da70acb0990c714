import numpy as np
import pytest
from PIL import Image

from vaedesk.data.drawing_files import load_drawing, save_drawing
from vaedesk.data.images import preprocess_image
from vaedesk.data.sketches import synthetic_drawings
from vaedesk.data.strokes import preprocess_strokes
from vaedesk.errors import DrawingError, ImageError


def test_round_trip_keeps_strokes_and_looks_like_the_digit(tmp_path):
    drawings, _ = synthetic_drawings(1, seed=4)
    strokes = drawings[3]
    path = save_drawing(strokes, tmp_path / "d.png")
    back = load_drawing(path)
    assert len(back) == len(strokes)
    for a, b in zip(back, strokes):
        np.testing.assert_allclose(a, b, atol=0.01)
    # The PNG itself is a readable picture of the same digit.
    as_image = preprocess_image(Image.open(path))
    assert np.abs(as_image - preprocess_strokes(strokes)).mean() < 0.08


def test_plain_png_has_no_strokes(tmp_path):
    Image.new("L", (10, 10), 255).save(tmp_path / "p.png")
    assert load_drawing(tmp_path / "p.png") is None


def test_empty_drawing_is_refused(tmp_path):
    with pytest.raises(DrawingError):
        save_drawing([], tmp_path / "e.png")
    assert not any(tmp_path.iterdir())


def test_corrupt_strokes_chunk(tmp_path):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("vaedesk-strokes", "{oops")
    Image.new("L", (10, 10), 255).save(tmp_path / "c.png", pnginfo=info)
    with pytest.raises(ImageError, match="corrupt"):
        load_drawing(tmp_path / "c.png")
