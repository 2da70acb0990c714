"""NumPy <-> Qt image helpers and small widgets that show 28x28 digit images."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QWidget

__all__ = ["array_to_qimage", "array_to_pixmap", "DigitView", "ImageStrip"]


def _to_uint8(array: np.ndarray) -> np.ndarray:
    """(H, W) array -> contiguous uint8; floats are intensities in [0, 1], ints 0-255."""
    arr = np.asarray(array)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"expected a non-empty 2-D (H, W) image, got shape {arr.shape}")
    if arr.dtype == np.uint8:
        return np.ascontiguousarray(arr)
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if np.issubdtype(arr.dtype, np.integer):
        return np.clip(arr, 0, 255).astype(np.uint8)
    if np.issubdtype(arr.dtype, np.floating):
        values = arr * np.float32(255.0)  # a new array, so the in-place steps below are safe
        if not np.isfinite(values).all():
            # NaN shows as background rather than raising: these are display-only images.
            values = np.nan_to_num(values, nan=0.0, posinf=255.0, neginf=0.0)
        np.clip(values, 0.0, 255.0, out=values)
        values += 0.5
        return values.astype(np.uint8)
    raise ValueError(f"unsupported image dtype {arr.dtype}")


def array_to_qimage(array: np.ndarray, invert: bool = False) -> QImage:
    """An 8-bit greyscale QImage of ``array`` that owns its pixels.

    Floats are intensities in [0, 1] (clipped), uint8 is 0-255.  ``invert`` turns white ink
    on black (MNIST) into black ink on white paper.
    """
    data = _to_uint8(array)
    if invert:
        data = 255 - data
    data = np.ascontiguousarray(data)
    h, w = data.shape
    # The wrapper only borrows the NumPy buffer; copy() gives the QImage its own memory.
    return QImage(data.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


def array_to_pixmap(
    array: np.ndarray, size: int | None = None, smooth: bool = False, invert: bool = False
) -> QPixmap:
    """A pixmap of ``array``, scaled (keeping aspect) to fit ``size`` x ``size`` if given."""
    pixmap = QPixmap.fromImage(array_to_qimage(array, invert))
    if size is not None:
        mode = Qt.TransformationMode.SmoothTransformation if smooth else Qt.TransformationMode.FastTransformation
        pixmap = pixmap.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio, mode)
    return pixmap


class DigitView(QWidget):
    """One digit image scaled to the widget, with a caption underneath and a thin border.

    Scaling is nearest-neighbour by default so each of the 28x28 pixels stays visible
    (what the model really sees); ``smooth`` interpolates instead.
    """

    clicked = Signal()

    def __init__(
        self,
        caption: str = "",
        invert: bool = False,
        smooth: bool = False,
        hint_size: int = 140,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._array: np.ndarray | None = None
        self._qimage: QImage | None = None
        self._caption = caption
        self._invert = invert
        self._smooth = smooth
        self._hint_size = max(16, int(hint_size))
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setAccessibleDescription(caption)  # what it shows, for screen readers

    # ------------------------------------------------------------------ state

    def set_image(self, array: np.ndarray | None) -> None:
        """Show ``array`` ((H, W), floats in [0, 1] or uint8), or a placeholder for None."""
        if array is None:
            self._array, self._qimage = None, None
        else:
            arr = np.array(array)  # our own copy: the caller may reuse its buffer
            self._qimage = array_to_qimage(arr, self._invert)
            self._array = arr
        self.update()

    def image(self) -> np.ndarray | None:
        return None if self._array is None else self._array.copy()

    def caption(self) -> str:
        return self._caption

    def set_caption(self, text: str) -> None:
        had_caption = bool(self._caption)
        self._caption = text
        self.setAccessibleDescription(text)
        if had_caption != bool(text):
            self.updateGeometry()  # the caption line appears or disappears
        self.update()

    def invert(self) -> bool:
        return self._invert

    def set_invert(self, invert: bool) -> None:
        if invert == self._invert:
            return
        self._invert = invert
        if self._array is not None:
            self._qimage = array_to_qimage(self._array, invert)
        self.update()

    def smooth(self) -> bool:
        return self._smooth

    def set_smooth(self, smooth: bool) -> None:
        self._smooth = smooth
        self.update()

    # ------------------------------------------------------------------ geometry

    def _caption_height(self) -> int:
        return self.fontMetrics().height() + 2 if self._caption else 0

    def sizeHint(self) -> QSize:
        return QSize(self._hint_size, self._hint_size + self._caption_height())

    def minimumSizeHint(self) -> QSize:
        side = min(56, self._hint_size)  # small enough for an inset or a strip tile
        return QSize(side, side + self._caption_height())

    def image_rect(self) -> QRectF:
        """Where the image is drawn: the largest centred square above the caption."""
        caption_h = self._caption_height()
        w, h = self.width(), max(1, self.height() - caption_h)
        side = max(1, min(w, h) - 2)  # keep one pixel each side for the border
        return QRectF((w - side) / 2.0, (h - side) / 2.0, side, side)

    # ------------------------------------------------------------------ painting / input

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = self.image_rect()
        if self._qimage is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._smooth)
            painter.drawImage(rect, self._qimage)
        else:
            # Placeholder: the image's background colour, dimmed, so the layout does not jump.
            painter.fillRect(rect, QColor(235, 235, 235) if self._invert else QColor(60, 60, 60))
            painter.setPen(QColor(150, 150, 150))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "\u2014")
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if self.hasFocus():  # a tile the keyboard is on (ImageStrip): a ring in the highlight colour
            painter.setPen(QPen(self.palette().highlight().color(), 2))
            painter.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))
        else:
            painter.setPen(QPen(self.palette().mid().color(), 1))
            painter.drawRect(rect.adjusted(-0.5, -0.5, 0.5, 0.5))
        if self._caption:
            painter.setPen(self.palette().windowText().color())
            caption_rect = QRectF(0, rect.bottom() + 1, self.width(), self._caption_height())
            text = self.fontMetrics().elidedText(self._caption, Qt.TextElideMode.ElideRight, self.width())
            painter.drawText(caption_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, text)
        painter.end()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit()
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        # Accept the press so the release comes to this tile rather than its parent.
        if event.button() == Qt.MouseButton.LeftButton:
            event.accept()
        else:
            super().mousePressEvent(event)


class ImageStrip(QWidget):
    """A horizontal row of small DigitViews (posterior samples, a gallery, ...).

    With ``keyboard=True`` the strip is one stop in the Tab order: the keyboard lands on its
    current tile (drawn with a ring), Left/Right/Home/End move along the row, Enter, Return
    or Space do what a click does (``clicked``), and with ``removable=True`` Delete or
    Backspace ask for the tile's removal (``remove_requested``). Each tile carries an
    accessible name ("Pin 2", or the ``names`` given to :meth:`set_images`) that screen
    readers announce as the keyboard reaches it.
    """

    #: Index of the tile the user clicked, or chose with Enter, Return or Space.
    clicked = Signal(int)
    #: Index of the tile the user asked to remove with Delete or Backspace (``removable`` strips).
    remove_requested = Signal(int)

    def __init__(
        self,
        count: int = 0,
        invert: bool = False,
        smooth: bool = False,
        tile_size: int = 64,
        parent: QWidget | None = None,
        *,
        keyboard: bool = False,
        removable: bool = False,
        item_name: str = "Image",
    ) -> None:
        super().__init__(parent)
        self._invert = invert
        self._smooth = smooth
        self._tile_size = max(16, int(tile_size))
        self._keyboard = keyboard
        self._removable = removable
        self._item_name = item_name
        self._current = 0
        self._tiles: list[DigitView] = []
        self._names: list[str] = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self._layout = layout
        self._resize_tiles(count)

    #: The strip asks for at most this many tiles' minimum width; more tiles share that room.
    MIN_TILES_SHOWN = 8

    def tiles(self) -> list[DigitView]:
        return list(self._tiles)

    def minimumSizeHint(self) -> QSize:
        # The layout's own minimum is the sum of every tile's: a gallery or pin strip that
        # keeps growing in a long session widened its pane, then the whole window, without
        # bound (a soak run reached 1910 px after 24 kept drawings). Past MIN_TILES_SHOWN
        # tiles the layout shrinks them instead.
        hint = super().minimumSizeHint()
        if len(self._tiles) > self.MIN_TILES_SHOWN:
            tile = self._tiles[0].minimumSizeHint().width()
            spacing, margins = self._layout.spacing(), self._layout.contentsMargins()
            n = self.MIN_TILES_SHOWN
            hint.setWidth(n * tile + (n - 1) * spacing + margins.left() + margins.right())
        return hint

    def count(self) -> int:
        return len(self._tiles)

    def _resize_tiles(self, n: int) -> None:
        focused = next((i for i, tile in enumerate(self._tiles) if tile.hasFocus()), None)
        if focused is not None and focused >= n > 0:
            self._tiles[n - 1].setFocus(Qt.FocusReason.OtherFocusReason)  # before its tile goes
        while len(self._tiles) > n:
            tile = self._tiles.pop()
            self._layout.removeWidget(tile)
            tile.removeEventFilter(self)
            tile.hide()
            tile.deleteLater()
        # _set_current sets it again; setTabOrder would take the proxy for the strip.
        self.setFocusProxy(None)  # type: ignore[arg-type]  # the stub omits Qt's null proxy
        while len(self._tiles) < n:
            index = len(self._tiles)
            tile = DigitView(invert=self._invert, smooth=self._smooth, hint_size=self._tile_size, parent=self)
            if self._keyboard:
                # A new widget joins the end of its window's Tab order: put it in the strip's place
                # (setTabOrder ignores widgets that take no focus, as the strip itself).
                previous, policy = self._tiles[-1] if self._tiles else self, self.focusPolicy()
                self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
                tile.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
                QWidget.setTabOrder(previous, tile)
                self.setFocusPolicy(policy)
            # Bind the index now: tiles are only ever added or removed at the end.
            tile.clicked.connect(lambda i=index: self._on_tile_clicked(i))
            tile.installEventFilter(self)  # a tile the mouse focuses becomes the current one
            self._layout.addWidget(tile)
            self._tiles.append(tile)
        self._name_tiles()
        self._set_current(min(self._current, max(n - 1, 0)))

    def set_images(
        self,
        images: Sequence[np.ndarray | None],
        captions: Sequence[str] | None = None,
        names: Sequence[str] | None = None,
    ) -> None:
        """Show one tile per image (None = placeholder), adding or removing tiles as needed.

        ``names`` are the tiles' accessible names (default: the strip's item name and the
        tile's number, "Pin 2")."""
        if captions is not None and len(captions) != len(images):
            raise ValueError(f"{len(captions)} captions for {len(images)} images")
        if names is not None and len(names) != len(images):
            raise ValueError(f"{len(names)} names for {len(images)} images")
        self._names = list(names) if names is not None else []
        self._resize_tiles(len(images))
        for i, (tile, image) in enumerate(zip(self._tiles, images)):
            tile.set_image(image)
            if captions is not None:
                tile.set_caption(captions[i])

    def set_captions(self, captions: Sequence[str]) -> None:
        if len(captions) != len(self._tiles):
            raise ValueError(f"{len(captions)} captions for {len(self._tiles)} tiles")
        for tile, text in zip(self._tiles, captions):
            tile.set_caption(text)

    def clear(self) -> None:
        self._names = []
        self._resize_tiles(0)

    # ------------------------------------------------------------------ keyboard

    def keyboard_enabled(self) -> bool:
        return self._keyboard

    def current_index(self) -> int | None:
        """The tile the keyboard is on (None when the strip is empty)."""
        return self._current if self._tiles else None

    def set_current_index(self, index: int) -> None:
        """Put the keyboard on tile ``index`` (it takes the focus if the strip has it)."""
        if not 0 <= index < len(self._tiles):
            raise IndexError(f"no tile {index} in a strip of {len(self._tiles)}")
        had_focus = any(tile.hasFocus() for tile in self._tiles)
        self._set_current(index)
        if had_focus and self._keyboard:
            self._tiles[index].setFocus(Qt.FocusReason.OtherFocusReason)

    def _name_tiles(self) -> None:
        names = self._names if len(self._names) == len(self._tiles) else []
        for i, tile in enumerate(self._tiles):
            tile.setAccessibleName(names[i] if names else f"{self._item_name} {i + 1}")

    def _set_current(self, index: int) -> None:
        """Only the current tile is a Tab stop (the others take focus by click): one stop for the strip."""
        self._current = index
        for i, tile in enumerate(self._tiles):
            if not self._keyboard:
                tile.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            else:
                tile.setFocusPolicy(Qt.FocusPolicy.StrongFocus if i == index else Qt.FocusPolicy.ClickFocus)
        current = self._tiles[index] if self._keyboard and index < len(self._tiles) else None
        # setFocus() and hasFocus() on the strip mean its current tile.
        self.setFocusProxy(current)  # type: ignore[arg-type]  # the stub omits Qt's null proxy

    def _on_tile_clicked(self, index: int) -> None:
        if index < len(self._tiles):
            self._set_current(index)
            self.clicked.emit(index)

    _MOVE_KEYS = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Home, Qt.Key.Key_End)
    _ACTIVATE_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)
    _REMOVE_KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)

    def _handles(self, event: QKeyEvent) -> bool:
        if not self._keyboard or not self._tiles or event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        key = event.key()
        return key in self._MOVE_KEYS or key in self._ACTIVATE_KEYS or (self._removable and key in self._REMOVE_KEYS)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn and watched in self._tiles:
            index = self._tiles.index(watched)
            if index != self._current:
                self._set_current(index)
        elif (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
              and watched in self._tiles and self._handles(event)):
            event.accept()  # the strip's keys before the window's shortcuts (Space plays the morph)
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Keys pressed on a tile come here (a DigitView ignores them).
        key, n = event.key(), len(self._tiles)
        moves: dict[int, int] = {Qt.Key.Key_Left: self._current - 1, Qt.Key.Key_Right: self._current + 1,
                 Qt.Key.Key_Home: 0, Qt.Key.Key_End: n - 1}
        if not self._handles(event):
            super().keyPressEvent(event)
        elif key in moves:
            self._set_current(min(max(moves[key], 0), n - 1))
            self._tiles[self._current].setFocus(Qt.FocusReason.TabFocusReason)
        elif key in self._ACTIVATE_KEYS:
            self.clicked.emit(self._current)
        else:
            self.remove_requested.emit(self._current)
