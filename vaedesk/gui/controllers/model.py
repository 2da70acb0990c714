"""The shown model: loaded by name or checkpoint path, in the view of its latent space the
user chose last for it; the plane set up for it; pins kept on their latent points when the
view changes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QStatusBar

from vaedesk.gui.client.model_client import WorkerClient
from vaedesk.gui.dialogs.messages import MessageBoxes
from vaedesk.gui.plane.widget import LatentPlane
from vaedesk.gui.settings import remember_view, view_kind
from vaedesk.model.catalog import DEFAULT_MODEL
from vaedesk.service.protocol import Channel, ModelInfo
from vaedesk.state.workspace import Workspace

if TYPE_CHECKING:
    from vaedesk.latent.views import LatentView


class ModelController(QObject):
    """``info`` is the shown model (None until one has loaded); ``key`` names the model asked
    for last, as the session and the settings name it (a name or a checkpoint path).

    ``shown(info)`` fires once the plane shows a newly loaded model (or view);
    ``reverted(key)`` when a load failed and the shown model stays.
    """

    shown = Signal(object)
    reverted = Signal(str)

    def __init__(self, client: WorkerClient, workspace: Workspace, plane: LatentPlane, settings: QSettings,
                 status: QStatusBar, messages: MessageBoxes, key: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client, self.workspace, self.plane = client, workspace, plane
        self.settings, self.status, self.messages = settings, status, messages
        self.info: ModelInfo | None = None
        self.key = key
        self._view_before: tuple[str, LatentView] | None = None  # (model, the view pins are placed in)
        client.subscribe(Channel.LOAD, self._on_loaded, failed=self._on_failed)

    def switch(self, name: str) -> None:
        """Load a model by name or checkpoint path; ``shown`` fires when it is ready."""
        self.status.showMessage(f"Loading model {Path(name).name}…")
        self.key = name
        self.client.load_model(name, view_kind(self.settings, name))

    def set_view(self, kind: str) -> None:
        """Show the latent space in another view (``views.VIEW_KINDS``), remembered per model;
        pins stay on the same latent points."""
        info = self.info
        if info is None or info.latent_dim <= 2 or info.view.kind == kind:
            return
        remember_view(self.settings, self.key, kind)
        self._view_before = (info.name, info.view)
        what = "neighbourhood map (about a minute the first time for a model)" if kind == "neighbors" else "view"
        self.status.showMessage(f"Fitting the {what}…")
        self.client.load_model(self.key, kind)

    def _on_loaded(self, info: ModelInfo) -> None:
        self.info = info
        self.settings.setValue("model", self.key)
        before, self._view_before = self._view_before, None
        if before is not None and before[0] == info.name:
            self.workspace.move_pins_to_view(before[1], info.view)
        view, plane = info.view, self.plane
        plane.set_scatter(info.scatter_xy, info.scatter_labels, info.class_names)
        plane.set_axis_labels(*view.axis_labels)
        plane.show_prior(tuple(view.to_plane(np.zeros((1, info.latent_dim)))[0]), show=view.keeps_prior_shape)
        plane.set_posterior(None)
        plane.reset_view()
        self.shown.emit(info)

    def _on_failed(self, message: str) -> None:
        self.status.showMessage("Model could not be loaded", 8000)
        self.messages.show("critical", "Cannot load model", message)
        if self.info is None and self.key != DEFAULT_MODEL:
            self.switch(DEFAULT_MODEL)  # e.g. a remembered checkpoint was deleted
        elif self.info is not None:
            self.key = str(self.settings.value("model", DEFAULT_MODEL, type=str))
            self.reverted.emit(self.key)

    def ready_text(self, info: ModelInfo, note: str = "") -> str:
        """The status line for a model just shown (``note``: what else the user should know)."""
        metrics = info.card.get("metrics", {})
        quality = f" — test −ELBO {metrics['neg_elbo']:.1f} nats" if "neg_elbo" in metrics else ""
        notes = "; ".join(n for n in (info.data_note, note) if n)
        return (f"Model {info.name} ready: {info.kind.upper()}, {info.latent_dim}-d latent{quality}"
                + (f" ({notes})" if notes else ""))
