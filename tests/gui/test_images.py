"""NumPy <-> Qt image helpers, DigitView and ImageStrip."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

from vaedesk.gui.widgets.images import DigitView, ImageStrip, array_to_pixmap, array_to_qimage


def _pixels(image: QImage) -> np.ndarray:
    """Greyscale pixel values of an 8-bit image, honouring its padded scanlines."""
    assert image.format() == QImage.Format.Format_Grayscale8
    h, w, bpl = image.height(), image.width(), image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), dtype=np.uint8, count=h * bpl)
    return raw.reshape(h, bpl)[:, :w].copy()


def test_array_to_qimage_round_trip() -> None:
    rng = np.random.default_rng(0)
    floats = rng.random((7, 5)).astype(np.float32)  # odd width: scanlines get padded
    image = array_to_qimage(floats)
    assert (image.width(), image.height()) == (5, 7)
    np.testing.assert_array_equal(_pixels(image), np.rint(floats * 255).astype(np.uint8))
    ints = rng.integers(0, 256, (28, 28), dtype=np.uint8)
    np.testing.assert_array_equal(_pixels(array_to_qimage(ints)), ints)
    np.testing.assert_array_equal(_pixels(array_to_qimage(ints, invert=True)), 255 - ints)
    # Out-of-range and NaN values are clipped rather than wrapping around.
    np.testing.assert_array_equal(_pixels(array_to_qimage(np.array([[-1.0, 2.0, np.nan]]))), [[0, 255, 0]])
    with pytest.raises(ValueError):
        array_to_qimage(np.zeros((2, 2, 3)))


def test_qimage_owns_its_pixels() -> None:
    data = np.full((4, 4), 200, dtype=np.uint8)
    image = array_to_qimage(data)
    data[:] = 0
    del data
    assert (_pixels(image) == 200).all()


def test_array_to_pixmap_scales() -> None:
    pixmap = array_to_pixmap(np.eye(28, dtype=np.float32), size=112)
    assert (pixmap.width(), pixmap.height()) == (112, 112)
    assert array_to_pixmap(np.eye(28), None, smooth=True).width() == 28


def test_digit_view(qtbot) -> None:
    view = DigitView(caption="input")
    qtbot.addWidget(view)
    view.resize(140, 160)
    view.show()
    qtbot.waitExposed(view)
    assert view.image() is None and view.caption() == "input"
    view.grab()  # the placeholder paints without an image
    digit = np.zeros((28, 28), dtype=np.float32)
    digit[4:24, 12:16] = 1.0
    view.set_image(digit)
    digit[:] = 0.0  # the view keeps its own copy
    assert view.image() is not None and view.image().max() == 1.0
    picture = view.grab().toImage()
    rect = view.image_rect()
    ink = rect.center().toPoint()
    corner = ((rect.topLeft() + rect.center()) / 2).toPoint()
    assert picture.pixelColor(ink).lightness() > 240  # white ink on black by default
    assert picture.pixelColor(corner).lightness() < 15
    view.set_invert(True)
    picture = view.grab().toImage()
    assert picture.pixelColor(ink).lightness() < 15
    assert picture.pixelColor(corner).lightness() > 240
    # The image sits above the caption, which needs room of its own.
    assert rect.bottom() < view.height() - view.fontMetrics().height()
    assert view.minimumSizeHint().width() <= 56
    view.set_caption("")
    view.set_image(None)
    assert view.image() is None


def test_image_strip(qtbot) -> None:
    strip = ImageStrip(count=3)
    qtbot.addWidget(strip)
    strip.show()
    qtbot.waitExposed(strip)
    assert strip.count() == 3
    images = [np.full((28, 28), v, dtype=np.float32) for v in (0.0, 0.5, 1.0, 0.25, 0.75)]
    strip.set_images(images, captions=[str(i) for i in range(5)])
    assert strip.count() == 5
    for tile, image in zip(strip.tiles(), images):
        np.testing.assert_array_equal(tile.image(), image)
    assert strip.tiles()[4].caption() == "4"
    strip.set_images(images[:2])
    assert strip.count() == 2
    with pytest.raises(ValueError):
        strip.set_images(images, captions=["only one"])

    clicks: list[int] = []
    strip.clicked.connect(clicks.append)
    tile = strip.tiles()[1]
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=QPoint(tile.width() // 2, tile.height() // 2))
    qtbot.mouseClick(strip.tiles()[0], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(tile, Qt.MouseButton.RightButton)
    assert clicks == [1, 0]


def _strip_between_buttons(qtbot, **kwargs):
    """A keyboard strip of 4 tiles between two buttons, shown in one window (Tab moves through it)."""
    from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

    window = QWidget()
    qtbot.addWidget(window)
    before = QPushButton("Before", window)  # made in Tab order
    strip = ImageStrip(keyboard=True, item_name="Kept drawing", parent=window, **kwargs)
    after = QPushButton("After", window)
    layout = QHBoxLayout(window)
    for widget in (before, strip, after):
        layout.addWidget(widget)
    images = [np.full((28, 28), v, dtype=np.float32) for v in (0.0, 0.25, 0.5, 1.0)]
    strip.set_images(images, [f"#{i + 1}" for i in range(4)])
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    before.setFocus()
    qtbot.waitUntil(before.hasFocus)
    return window, before, strip, after


def test_a_keyboard_strip_is_one_tab_stop_with_arrows_and_enter(qtbot) -> None:
    from PySide6.QtWidgets import QApplication

    window, before, strip, after = _strip_between_buttons(qtbot)
    tiles = strip.tiles()
    assert [t.accessibleName() for t in tiles] == [f"Kept drawing {i}" for i in range(1, 5)]
    assert tiles[2].accessibleDescription() == "#3"  # the caption describes the tile
    qtbot.keyClick(before, Qt.Key.Key_Tab)
    assert tiles[0].hasFocus() and strip.hasFocus() and strip.current_index() == 0
    clicks: list[int] = []
    strip.clicked.connect(clicks.append)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right)
    assert tiles[2].hasFocus() and strip.current_index() == 2
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_End)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right)  # stays on the last
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Home)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Enter)
    assert clicks == [2, 3, 0]
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Delete)  # not a removable strip
    assert clicks == [2, 3, 0] and strip.count() == 4
    # One Tab stop: Tab leaves the strip for the next widget, Shift+Tab comes back to its current tile.
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert after.hasFocus()
    qtbot.keyClick(after, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert tiles[1].hasFocus()
    # A click makes its tile the current one, as the keyboard's.
    qtbot.mouseClick(tiles[3], Qt.MouseButton.LeftButton, pos=tiles[3].rect().center())
    assert clicks[-1] == 3 and strip.current_index() == 3 and tiles[3].hasFocus()
    # The focused tile is drawn with a ring in the highlight colour.
    ring = tiles[3].grab().toImage().pixelColor(tiles[3].image_rect().topLeft().toPoint() + QPoint(1, 1))
    assert ring == tiles[3].palette().highlight().color()


def test_a_removable_strip_asks_for_removal_and_keeps_the_focus(qtbot) -> None:
    from PySide6.QtWidgets import QApplication

    window, before, strip, after = _strip_between_buttons(qtbot, removable=True)
    removals: list[int] = []
    strip.remove_requested.connect(removals.append)
    strip.set_current_index(3)
    strip.setFocus()
    assert strip.tiles()[3].hasFocus()
    strip.set_current_index(2)  # the focus follows
    assert strip.tiles()[2].hasFocus()
    strip.set_current_index(3)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Delete)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backspace)
    assert removals == [3, 3]
    # The owner removes it: the focus stays in the strip, on what is now the last tile.
    images = [tile.image() for tile in strip.tiles()[:3]]
    strip.set_images(images, names=["Pin 1", "Pin 2", "Pin 3"])
    assert strip.count() == 3 and strip.tiles()[2].hasFocus() and strip.current_index() == 2
    assert strip.tiles()[0].accessibleName() == "Pin 1"
    strip.clear()
    assert strip.current_index() is None and not strip.hasFocus()
    assert strip.focusPolicy() == Qt.FocusPolicy.NoFocus  # an empty strip is no Tab stop
    before.setFocus()
    qtbot.keyClick(before, Qt.Key.Key_Tab)
    assert after.hasFocus()
