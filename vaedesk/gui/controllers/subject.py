"""What the Dimensions and Arithmetic tabs edit: the pin the user chose last, until the
drawing changes; else the drawing's posterior mean."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from vaedesk.gui.controllers.model import ModelController
from vaedesk.service.protocol import EncodeResult
from vaedesk.state.workspace import Pin, Workspace


class Subject(QObject):
    """``pin`` is the chosen pin's id (None: the drawing). ``changed()`` fires when what the
    tabs edit changed: another pin chosen, or a new posterior while the drawing is the subject."""

    changed = Signal()

    def __init__(self, workspace: Workspace, models: ModelController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace, self.models = workspace, models
        self.pin: int | None = None
        self._drawing_mean: np.ndarray | None = None
        # Made before the drawing's controller, so this runs before the drawing is encoded again.
        workspace.drawing_changed.connect(self._follow_drawing)

    def _follow_drawing(self) -> None:
        self.pin = None

    def set_posterior(self, result: EncodeResult | None) -> None:
        """The drawing's posterior now shown (None: there is no drawing)."""
        self._drawing_mean = None if result is None else result.posterior.mean[0]
        if self.pin is None:
            self.changed.emit()

    def choose_pin(self, pin_id: int) -> None:
        if self.pin != pin_id:
            self.pin = pin_id
            self.changed.emit()

    def latent(self) -> tuple[np.ndarray, str] | None:
        """(latent (D,), what it is in words), or None when there is no model or nothing to edit."""
        info = self.models.info
        if info is None:
            return None
        pin = self.current_pin()
        if pin is not None:
            return np.array(pin.latent, np.float64), self.name()
        if self._drawing_mean is not None:
            return self._drawing_mean, "your drawing"
        return None

    def current_pin(self) -> Pin | None:
        """The chosen pin when it belongs to the model shown (else the drawing is the subject)."""
        info = self.models.info
        pin = self.workspace.pin(self.pin) if self.pin is not None else None
        if (pin is None or info is None or self.models.loading or pin.model != self.models.key
                or len(pin.latent) != info.latent_dim):
            return None
        return pin

    def name(self) -> str:
        """"your drawing", or "pin N"."""
        return "your drawing" if self.pin is None else f"pin {self.workspace.pin_number(self.pin)}"
