"""The Dimensions tab: per-dimension traversals of the drawing or a pin, sliders, export."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QWidget

import vaedesk
from vaedesk.data.sketches import draw_digit

from tests.support.gui_input import draw_strokes
from tests.support.windows import open_window, wait_for_final_posterior

pytestmark = pytest.mark.usefixtures("default_reference")


@pytest.mark.slow
def test_traversals_follow_the_drawing_and_pins_and_sliders_edit_the_latent(qtbot, tmp_path):
    win, name = open_window(qtbot)
    model = vaedesk.load_model(name)
    view = win.traversal_view
    assert win.findChild(QWidget, "traversals") is view
    win.show_traversals()
    assert view.traversal is None  # nothing drawn yet

    draw_strokes(qtbot, win.canvas, draw_digit(3, np.random.default_rng(3)))
    encoded = wait_for_final_posterior(qtbot, win)
    mean = encoded.posterior.mean[0]

    def shows(origin):
        assert view.traversal is not None
        np.testing.assert_allclose(view.traversal.origin, origin, atol=1e-6)

    qtbot.waitUntil(lambda: shows(mean), timeout=20_000)
    traversal = view.traversal
    assert traversal.images.shape == (model.latent_dim, 9, 28, 28)
    assert all("nats" in label for label in view.row_labels()[: model.latent_dim])
    # Each row is what the model decodes with that one dimension swept.
    row, d = 0, int(traversal.order[0])
    z = np.repeat(mean[None], 9, 0)
    z[:, d] = traversal.values
    np.testing.assert_allclose(traversal.images[row], model.decode(z), atol=1e-5)

    # A slider edits one coordinate of the latent, decoded live.
    slider = view.sliders()[0]
    slider.setValue(150)
    edited = mean.copy()
    edited[d] = 1.5
    np.testing.assert_allclose(view.latent(), edited)
    qtbot.waitUntil(lambda: view.edited_view.image() is not None
                    and np.allclose(view.edited_view.image(), model.decode(edited[None])[0], atol=1e-5),
                    timeout=10_000)

    # Selecting a pin sweeps from the pin's latent instead.
    win.add_pin(1.0, -0.5)
    qtbot.waitUntil(lambda: shows(np.array([1.0, -0.5])), timeout=20_000)
    assert "pin 1" in view.findChild(QWidget, "traversals_caption").text()

    # Saved as a PNG grid and as a GIF; a file in the way of the folder is one message.
    assert win.save_traversal("png", str(tmp_path / "t.png"))
    with Image.open(tmp_path / "t.png") as image:
        assert image.format == "PNG"
    assert win.save_traversal("gif", str(tmp_path / "t.gif"))
    (tmp_path / "file").write_text("in the way")
    assert not win.save_traversal("png", str(tmp_path / "file" / "t.png"))
    assert any("traversal" in box.windowTitle() for box in win.open_messages())
    win.close()
