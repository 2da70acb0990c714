"""Pins and the decoder preview: pins added, dragged and removed on the plane, their
decodings in the pin strip, the chosen pin previewed, and the plane decoded under the cursor.

A pin is a latent point of the model it was made on: the plane shows the shown model's pins
where the shown view puts them, and says how many other models' pins are kept."""

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
from vaedesk.state.workspace import Pin, Workspace


class PinsController(QObject):
    """``selected`` is the pin chosen last (or None). ``preview_changed(image)`` fires with
    each (28, 28) image the decoder preview shows."""

    preview_changed = Signal(object)

    def __init__(self, client: WorkerClient, workspace: Workspace, models: ModelController, subject: Subject,
                 plane: LatentPlane, preview: PreviewPanel, status: QStatusBar, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client, self.workspace, self.models, self.subject = client, workspace, models, subject
        self.plane, self.status = plane, status
        self.preview_view, self.pin_strip, self.pins_label = preview.preview_view, preview.pin_strip, preview.pins_label
        self.selected: int | None = None
        self._images: dict[int, np.ndarray] = {}  # each pin's decoding, by id
        self._strip_ids: list[int] = []  # the pins the pin strip shows, in order
        self._hovering = False
        plane.hovered.connect(self._on_hovered)
        plane.hover_left.connect(self._on_hover_left)
        plane.clicked.connect(self.add)
        plane.pin_dragged.connect(self.move)
        plane.pin_moved.connect(self.move)
        plane.pin_remove_requested.connect(workspace.remove_pin)
        plane.pin_selected.connect(self.choose)
        self.pin_strip.clicked.connect(lambda i: self.choose(self.shown_pins()[i].id))
        self.pin_strip.remove_requested.connect(lambda i: workspace.remove_pin(self.shown_pins()[i].id))
        workspace.pins_changed.connect(self._on_pins_changed)

        def say(channel: Channel) -> Callable[[str], None]:
            return lambda message: status.showMessage(f"{channel.value}: {message}", 8000)

        for channel, slot in ((Channel.HOVER, self._on_hover_decoded), (Channel.PINS, self._on_pins_decoded)):
            client.subscribe(channel, slot, failed=say(channel))

    def _latent(self, x: float, y: float) -> np.ndarray | None:
        info = self.models.info
        if info is None or self.models.loading:  # the plane still shows the model being left
            return None
        return info.view.to_latent(np.array([[x, y]], np.float64))[0]

    def add(self, x: float, y: float) -> int | None:
        """Pin the latent point at plane point (x, y) and choose it; returns its id (None
        beyond the limits, or with no model)."""
        latent = self._latent(x, y)
        if latent is None:
            return None
        try:
            pin_id = self.workspace.add_pin(self.models.key, latent)
        except VaedeskError as exc:
            self.status.showMessage(str(exc), 6000)
            return None
        self.choose(pin_id)
        return pin_id

    def move(self, pin_id: int, x: float, y: float) -> None:
        """A pin dragged to plane point (x, y): it now pins the latent point there."""
        latent = self._latent(x, y)
        if latent is not None:
            self.workspace.move_pin(pin_id, latent)

    def shown_pins(self) -> list[Pin]:
        """The pins of the model shown (those the plane and the pin strip show), in order."""
        info = self.models.info
        if info is None or self.models.loading:  # until the next model is shown, the pins stay as they are
            return [pin for pin in self.workspace.pins() if pin.id in self._strip_ids]
        return [pin for pin in self.workspace.pins(self.models.key) if len(pin.latent) == info.latent_dim]

    def choose(self, pin_id: int) -> None:
        """The user chose a pin: it is previewed, and the Dimensions and Arithmetic tabs edit it."""
        self.selected = pin_id
        self.subject.choose_pin(pin_id)
        self.plane.set_selected_pin(pin_id)
        self._preview_pin(pin_id)

    def request(self) -> None:
        """Place and decode the shown model's pins (their images in the pin strip); say how
        many pins of other models are kept."""
        info = self.models.info
        if info is None or self.models.loading:  # the model shown next asks again
            return
        pins = self.shown_pins()
        latents = np.array([pin.latent for pin in pins], np.float64).reshape(-1, info.latent_dim)
        placed = info.view.to_plane(latents) if pins else np.zeros((0, 2))
        self.plane.set_pins([(pin.id, xy) for pin, xy in zip(pins, placed, strict=True)])
        ids = [pin.id for pin in pins]
        if ids != self._strip_ids:  # other pins (another model's): no image of the old ones stays
            self.pin_strip.set_images([None] * len(ids), [str(i + 1) for i in range(len(ids))], _pin_names(placed))
            self._strip_ids = ids
        elsewhere = len(self.workspace.pins()) - len(pins)
        self.pins_label.setText(f"Pins ({elsewhere} more kept with other models)" if elsewhere else "Pins")
        self.client.decode_pins(ids, latents)

    def set_preview(self, image: np.ndarray, caption: str) -> None:
        self.preview_view.set_image(image)
        self.preview_view.set_caption(caption)
        self.preview_changed.emit(image)

    def _on_pins_changed(self) -> None:
        self._images = {pid: image for pid, image in self._images.items() if self.workspace.pin(pid)}
        self.request()

    def _on_pins_decoded(self, result: DecodeResult) -> None:
        self._images = dict(zip(result.ids, result.images))
        self._strip_ids = list(result.ids)
        self.pin_strip.set_images(list(result.images), [str(i + 1) for i in range(len(result.images))],
                                  _pin_names(result.points))
        if self.selected in self._images and not self._hovering:
            self._preview_pin(self.selected)  # redecoded: shown anew, not chosen anew

    def _preview_pin(self, pin_id: int) -> None:
        image, placed = self._images.get(pin_id), dict(self.plane.pins()).get(pin_id)
        if image is not None and placed is not None:
            x, y = placed
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


def _pin_names(points: np.ndarray) -> list[str]:
    """The pin strip's tiles' accessible names: "Pin 2 at (+0.50, +0.50)"."""
    return [f"Pin {i + 1} at ({x:+.2f}, {y:+.2f})" for i, (x, y) in enumerate(points)]
