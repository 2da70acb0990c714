"""The shown model: loaded by name or checkpoint path, in the view of its latent space the
user chose last for it; the plane set up for it; while a view is fitted, the old one marked
as old, with the fit's progress and a Cancel."""

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
from vaedesk.gui.widgets.view_fit import ViewFitBanner
from vaedesk.latent.views import VIEW_NAMES
from vaedesk.model.catalog import DEFAULT_MODEL
from vaedesk.service.protocol import Channel, ModelInfo, ViewFitCancelled, ViewFitProgress
from vaedesk.state.workspace import Workspace

if TYPE_CHECKING:
    pass


class ModelController(QObject):
    """``info`` is the shown model (None until one has loaded); ``key`` names the model asked
    for last, as the session and the settings name it (a name or a checkpoint path);
    ``loading`` is True from a switch to another model until it is shown (or has failed): the
    model process then holds the new one, so a request that carries the shown model's latents
    must wait for the new model's ``shown``.

    ``shown(info)`` fires once the plane shows a newly loaded model (or view);
    ``reverted(key)`` when a load failed and the shown model stays; ``view_kept(kind)`` when a
    view's fit was cancelled or failed and the shown view stays.

    ``fit_banner`` (made over the plane when not given) marks the shown view as the old one
    while a new one is fitted.
    """

    shown = Signal(object)
    reverted = Signal(str)
    view_kept = Signal(str)

    def __init__(self, client: WorkerClient, workspace: Workspace, plane: LatentPlane, settings: QSettings,
                 status: QStatusBar, messages: MessageBoxes, key: str, parent: QObject | None = None,
                 fit_banner: ViewFitBanner | None = None) -> None:
        super().__init__(parent)
        self.client, self.workspace, self.plane = client, workspace, plane
        self.settings, self.status, self.messages = settings, status, messages
        self.fit_banner = fit_banner if fit_banner is not None else ViewFitBanner(plane)
        self.info: ModelInfo | None = None
        self.key = key
        self.loading = False
        self._fitting: str | None = None  # the view being fitted (its banner shown)
        client.subscribe(Channel.LOAD, self._on_loaded, failed=self._on_failed)
        client.subscribe(Channel.VIEW_FIT, self._on_view_fit)
        self.fit_banner.cancel_requested.connect(self.cancel_view_fit)

    def switch(self, name: str) -> None:
        """Load a model by name or checkpoint path; ``shown`` fires when it is ready."""
        self.status.showMessage(f"Loading model {Path(name).name}…")
        self._fitting = None  # another model: a view fit under way is ended by this load
        self.fit_banner.finish()
        self.key = name
        self.loading = True
        self.client.load_model(name, view_kind(self.settings, name))

    def set_view(self, kind: str) -> None:
        """Show the latent space in another view (``views.VIEW_KINDS``), remembered per model;
        pins are latent points, so they stay where they are in the latent space."""
        info = self.info
        if info is None or info.latent_dim <= 2:
            return
        if info.view.kind == kind:
            if self._fitting is not None:  # back to the view shown: the fit is not wanted any more
                self.cancel_view_fit()
            return
        if self._fitting == kind:  # asked again while it is fitted: not started afresh
            return
        remember_view(self.settings, self.key, kind)
        self.client.load_model(self.key, kind)

    def cancel_view_fit(self) -> None:
        """Stop fitting the view asked for; the shown view stays (``view_kept``)."""
        if self._fitting is not None:
            self.client.cancel_view_fit()

    def _on_view_fit(self, event: ViewFitProgress | ViewFitCancelled) -> None:
        info = self.info
        if info is None:
            return
        if isinstance(event, ViewFitCancelled):
            self._keep_view(f"Kept the {info.view.name} view: fitting the {VIEW_NAMES[self._fitting or 'neighbors']} "
                            "view was cancelled")
            return
        self._fitting = event.view
        self.fit_banner.show_progress(info.view.name, VIEW_NAMES.get(event.view, event.view), event.stage,
                                      event.fraction)

    def _keep_view(self, message: str) -> None:
        """The view asked for will not come: the shown one stays, remembered and checked again."""
        self._fitting = None
        self.fit_banner.finish()
        if self.info is not None:
            remember_view(self.settings, self.key, self.info.view.kind)
            self.view_kept.emit(self.info.view.kind)
        self.status.showMessage(message, 10_000)

    def _on_loaded(self, info: ModelInfo) -> None:
        self.info = info
        self.loading = False
        self._fitting = None
        self.fit_banner.finish()
        self.settings.setValue("model", self.key)
        view, plane = info.view, self.plane
        plane.set_scatter(info.scatter_xy, info.scatter_labels, info.class_names)
        plane.set_axis_labels(*view.axis_labels)
        plane.show_prior(tuple(view.to_plane(np.zeros((1, info.latent_dim)))[0]), show=view.keeps_prior_shape)
        plane.set_posterior(None)
        plane.reset_view()
        self.shown.emit(info)

    def _on_failed(self, message: str) -> None:
        if self._fitting is not None and self.info is not None:
            shown = self.info.view.name
            self._keep_view(f"Kept the {shown} view: the new view could not be fitted")
            self.messages.show("critical", "Cannot show the view", message)
            return
        self.loading = False
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
