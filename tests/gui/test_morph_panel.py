"""The morph panel in the window: endpoints shown as the digits they are, every control
labelled, and a written file said the way every save says it."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QAbstractSpinBox, QCheckBox, QComboBox, QLabel, QListWidget, QMessageBox

from vaedesk.data.sketches import draw_digit
from vaedesk.gui.widgets.images import array_to_pixmap
from vaedesk.gui.widgets.morph_panel import THUMBNAIL_SIZE

from tests.support.gui_input import draw_strokes
from tests.support.windows import wait_for_final_posterior


def _same_picture(icon, image: np.ndarray) -> bool:
    shown = icon.pixmap(THUMBNAIL_SIZE, THUMBNAIL_SIZE).toImage()
    return shown == array_to_pixmap(image, THUMBNAIL_SIZE).toImage()


def test_endpoints_show_the_drawing_and_the_pins_decodings_as_thumbnails(qtbot, window):
    draw_strokes(qtbot, window.canvas, draw_digit(3, np.random.default_rng(4)))
    wait_for_final_posterior(qtbot, window)
    panel = window.morph_panel
    panel.add_drawing_requested.emit()  # "+ Drawing"
    window.add_pin(1.0, 1.0)
    window.add_pin(-1.5, 0.5)
    panel.add_pins_requested.emit()  # "+ Pins"
    assert [panel.endpoints.item(i).text() for i in range(3)] == ["Drawing #1", "Pin 1", "Pin 2"]
    qtbot.waitUntil(lambda: not any(icon.isNull() for icon in panel.thumbnails()), timeout=10_000)
    drawing, *pins = panel.thumbnails()
    assert _same_picture(drawing, window.workspace.gallery_input(0))
    qtbot.waitUntil(lambda: window.pin_strip.count() == 2, timeout=10_000)
    for icon, tile in zip(pins, window.pin_strip.tiles()):
        assert _same_picture(icon, tile.image())  # the pin's decoding, as the pin strip shows it
    assert panel.endpoints.iconSize().width() >= 48

    # A pin moved is decoded anew, and its thumbnail follows.
    before = pins[1].pixmap(THUMBNAIL_SIZE).toImage()
    window.pins.move(window.workspace.pins()[1].id, 2.5, -2.5)  # dragged on the plane
    qtbot.waitUntil(lambda: panel.thumbnails()[2].pixmap(THUMBNAIL_SIZE).toImage() != before, timeout=10_000)
    qtbot.waitUntil(lambda: _same_picture(panel.thumbnails()[2], window.pin_strip.tiles()[1].image()),
                    timeout=10_000)


def test_every_control_of_the_morph_panel_is_labelled(window):
    panel = window.morph_panel
    buddies = {label.buddy(): label.text() for label in panel.findChildren(QLabel) if label.buddy() is not None}
    controls = [w for kind in (QAbstractSpinBox, QComboBox, QCheckBox, QListWidget) for w in panel.findChildren(kind)]
    assert {panel.easing, panel.method, panel.frames, panel.fps, panel.endpoints} <= set(controls)
    for control in controls:
        assert control.accessibleName() and control.toolTip(), control.objectName()
        # Seen on screen: a label of its own, its own text or the unit in its box; the list of
        # endpoints is named by its panel, its tooltip and its screen reader name.
        seen = (buddies.get(control) or (control.text() if isinstance(control, QCheckBox) else "")
                or (control.suffix().strip() if isinstance(control, QAbstractSpinBox) else ""))
        assert seen or control is panel.endpoints, control.accessibleName()
    assert buddies[panel.easing] == "Easing" and buddies[panel.method] == "Path"


def test_morph_and_plane_exports_say_they_were_written_in_the_status_bar(qtbot, window, tmp_path):
    window.add_pin(-1.0, 0.0)
    window.add_pin(1.0, 0.0)
    window.morph_panel.frames.setValue(6)
    gif = tmp_path / "morph.gif"
    with qtbot.waitSignal(window.export_done, timeout=20_000):
        window.morph.export_to(gif, "gif")
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == f"Saved {gif}", timeout=5_000)
    assert gif.is_file()
    plane = tmp_path / "plane.png"
    assert window.files.export_plane(plane)
    assert window.statusBar().currentMessage() == f"Saved {plane}"
    drawing = tmp_path / "drawing.png"
    draw_strokes(qtbot, window.canvas, draw_digit(1, np.random.default_rng(0)))
    assert window.save_drawing(drawing)
    assert window.statusBar().currentMessage() == f"Saved {drawing}"
    # Said without a box to dismiss; only errors open one.
    assert [box for box in window.findChildren(QMessageBox) if box.isVisible()] == []
