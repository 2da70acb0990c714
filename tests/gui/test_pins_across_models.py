"""Pins are latent points of the model they were made on: a random walk of model and view
switches, with real key presses, never moves one or changes what it decodes to."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.support.windows import LOAD_TIMEOUT

pytestmark = pytest.mark.slow


def _press(qtbot, window, key: Qt.Key, modifier: Qt.KeyboardModifier) -> None:
    with qtbot.waitSignal(window.model_ready, timeout=LOAD_TIMEOUT):
        qtbot.keyClick(window, key, modifier)


def _shown_pins(qtbot, window) -> dict[int, np.ndarray]:
    """The shown model's pins' decodings, once the pin strip shows them all."""
    expected = [pin.id for pin in window.pins.shown_pins()]
    qtbot.waitUntil(lambda: window.pin_strip.count() == len(expected)
                    and all(tile.image() is not None for tile in window.pin_strip.tiles()), timeout=20_000)
    return {pin_id: tile.image() for pin_id, tile in zip(expected, window.pin_strip.tiles(), strict=True)}


def test_a_random_walk_of_model_and_view_switches_never_moves_a_pin(qtbot, window) -> None:
    names = window.window_actions.model_names()
    keys = {name: getattr(Qt.Key, f"Key_{names.index(name) + 1}") for name in names}
    control, alt = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier
    # A 0 and a 7 on the 2-d VAE; two pins on the 16-d VAE.
    info = window.model_info
    for digit in (0, 7):
        centre = np.median(info.scatter_xy[info.scatter_labels == digit], axis=0)
        window.add_pin(float(centre[0]), float(centre[1]))
    _press(qtbot, window, keys["mnist-vae-16d"], control)
    window.add_pin(0.5, -0.5)
    window.add_pin(-1.0, 1.0)
    latents = {pin.id: (pin.model, pin.latent) for pin in window.workspace.pins()}
    decoded = {"mnist-vae-16d": _shown_pins(qtbot, window)}
    _press(qtbot, window, keys["mnist-vae-2d"], control)
    decoded["mnist-vae-2d"] = _shown_pins(qtbot, window)
    assert len(decoded["mnist-vae-2d"]) == 2 and "2 more kept with other models" in window.pins.pins_label.text()

    views = ("pca", "lda", "dims", "neighbors")  # Alt+1 ... Alt+4
    rng = np.random.default_rng(7)
    for _ in range(8):
        if window.model_info.latent_dim > 2 and rng.random() < 0.5:
            view = [v for v in views if v != window.model_info.view.kind][rng.integers(3)]
            _press(qtbot, window, getattr(Qt.Key, f"Key_{views.index(view) + 1}"), alt)  # another view
        else:
            name = [n for n in names if n != window.model_info.name][rng.integers(len(names) - 1)]
            _press(qtbot, window, keys[name], control)  # another model
        name, view = window.model_info.name, window.model_info.view
        # No pin moved in latent space...
        assert {pin.id: (pin.model, pin.latent) for pin in window.workspace.pins()} == latents
        # ...the shown ones sit where this view puts their latent points...
        shown = window.pins.shown_pins()
        assert {pin.model for pin in shown} <= {name}
        placed = dict(window.plane.pins())
        for pin in shown:
            np.testing.assert_allclose(placed[pin.id], view.to_plane(np.array([pin.latent]))[0], atol=1e-6)
        # ...and decode to what they did when they were made.
        if name in decoded:
            now = _shown_pins(qtbot, window)
            assert now.keys() == decoded[name].keys()
            for pin_id, image in now.items():
                np.testing.assert_allclose(image, decoded[name][pin_id], atol=1e-5)
        else:
            assert shown == [] and window.pin_strip.count() == 0  # no image of another model's pins stays
