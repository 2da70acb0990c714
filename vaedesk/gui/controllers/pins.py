"""Pins and the decoder preview: pins added, dragged and removed on the plane, their
decodings in the pin strip, the chosen pin previewed, and the plane decoded under the cursor."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QStatusBar

from vaedesk.errors import VaedeskError
from vaedesk.gui.client.model_client import WorkerClient
from vaedesk.gui.controllers.model import ModelController
from vaedesk.gui.controllers.subject import Subject
from vaedesk.gui.plane.widget import LatentPlane
from vaedesk.gui.widgets.panels import PreviewPanel
from vaedesk.service.protocol import Channel, DecodeResult
from vaedesk.state.workspace import Workspace


class PinsController(QObject):
    """``selected`` is the pin chosen last (or None). ``preview_changed(image)`` fires with
    each (28, 28) image the decoder preview shows."""

    preview_changed = Signal(object)

    def __init__(self, client: WorkerClient, workspace: Workspace, models: ModelController, subject: Subject,
                 plane: LatentPlane, preview: PreviewPanel, status: QStatusBar, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client, self.workspace, self.models, self.subject = client, workspace, models, subject
        self.plane, self.status = plane, status
        self.preview_view, self.pin_strip = preview.preview_view, preview.pin_strip
        self.selected: int | None = None
        self._images: dict[int, np.ndarray] = {}  # each pin's decoding, by id
        self._hovering = False
        plane.hovered.connect(self._on_hovered)
        plane.hover_left.connect(self._on_hover_left)
        plane.clicked.connect(self.add)
        plane.pin_dragged.connect(workspace.move_pin)
        plane.pin_moved.connect(workspace.move_pin)
        plane.pin_remove_requested.connect(workspace.remove_pin)
        plane.pin_selected.connect(self.choose)
        self.pin_strip.clicked.connect(lambda i: self.choose(workspace.pins()[i].id))
        self.pin_strip.remove_requested.connect(lambda i: workspace.remove_pin(workspace.pins()[i].id))
        workspace.pins_changed.connect(self._on_pins_changed)

        def say(channel: Channel) -> Callable[[str], None]:
            return lambda message: status.showMessage(f"{channel.value}: {message}", 8000)

        for channel, slot in ((Channel.HOVER, self._on_hover_decoded), (Channel.PINS, self._on_pins_decoded)):
            client.subscribe(channel, slot, failed=say(channel))

    def add(self, x: float, y: float) -> int | None:
        """Pin plane point (x, y) and choose it; returns its id (None beyond the limits)."""
        try:
            pin_id = self.workspace.add_pin(x, y)
        except VaedeskError as exc:
            self.status.showMessage(str(exc), 6000)
            return None
        self.choose(pin_id)
        return pin_id

    def choose(self, pin_id: int) -> None:
        """The user chose a pin: it is previewed, and the Dimensions and Arithmetic tabs edit it."""
        self.selected = pin_id
        self.subject.choose_pin(pin_id)
        self.plane.set_selected_pin(pin_id)
        self._preview_pin(pin_id)

    def request(self) -> None:
        """Decode every pin (their images in the pin strip)."""
        if self.models.info is None:
            return
        pins = self.workspace.pins()
        self.client.decode_pins([pin.id for pin in pins], np.array([pin.xy for pin in pins]).reshape(-1, 2))

    def set_preview(self, image: np.ndarray, caption: str) -> None:
        self.preview_view.set_image(image)
        self.preview_view.set_caption(caption)
        self.preview_changed.emit(image)

    def _on_pins_changed(self) -> None:
        pins = self.workspace.pins()
        self.plane.set_pins([(pin.id, pin.xy) for pin in pins])
        self._images = {pid: image for pid, image in self._images.items() if self.workspace.pin(pid)}
        self.request()

    def _on_pins_decoded(self, result: DecodeResult) -> None:
        self._images = dict(zip(result.ids, result.images))
        names = [f"Pin {i + 1} at ({x:+.2f}, {y:+.2f})" for i, (x, y) in enumerate(result.points)]
        self.pin_strip.set_images(list(result.images), [str(i + 1) for i in range(len(result.images))], names)
        if self.selected in self._images and not self._hovering:
            self._preview_pin(self.selected)  # redecoded: shown anew, not chosen anew

    def _preview_pin(self, pin_id: int) -> None:
        image, pin = self._images.get(pin_id), self.workspace.pin(pin_id)
        if image is not None and pin is not None:
            x, y = pin.xy
            self.set_preview(image, f"Pin {self.workspace.pin_number(pin_id)} at ({x:+.2f}, {y:+.2f})")

    def _on_hovered(self, x: float, y: float) -> None:
        if self.models.info is not None:
            self._hovering = True
            self.client.hover(x, y)

    def _on_hover_left(self) -> None:
        self._hovering = False
        self.plane.set_hover_marker(None)

    def _on_hover_decoded(self, result: DecodeResult) -> None:
        if self._hovering:
            x, y = result.points[0]
            self.set_preview(result.images[0], f"Hovered point ({x:+.2f}, {y:+.2f})")
