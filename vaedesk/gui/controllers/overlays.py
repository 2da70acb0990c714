"""What the plane can show besides the drawing: the manifold overlay of decodings over the
view, the encoded training set's density, and fresh samples from the prior beside it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QStatusBar, QWidget

from vaedesk.gui.client.model_client import WorkerClient
from vaedesk.gui.controllers.model import ModelController
from vaedesk.gui.dialogs.prior_samples import PriorSamplesDialog
from vaedesk.gui.plane.widget import LatentPlane
from vaedesk.service.model_service import SAMPLE_COUNT
from vaedesk.service.protocol import Channel, DecodeResult, DensityResult, PriorSamplesResult

MANIFOLD_GRID = 20  # the manifold overlay decodes MANIFOLD_GRID x MANIFOLD_GRID points


class PlaneOverlays(QObject):
    """``manifold_shown`` and ``density_shown`` say whether each overlay is wanted; prior
    samples are shown in a dialog over ``parent``."""

    def __init__(self, client: WorkerClient, models: ModelController, plane: LatentPlane, status: QStatusBar,
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.client, self.models, self.plane, self._parent = client, models, plane, parent
        self.manifold_shown = False
        self.density_shown = False
        plane.view_changed.connect(lambda *_: self._request_manifold())
        client.worker.reference_ready.connect(self._on_reference_ready)

        def say(channel: Channel) -> Callable[[str], None]:
            return lambda message: status.showMessage(f"{channel.value}: {message}", 8000)

        for channel, slot in ((Channel.GRID, self._on_manifold), (Channel.DENSITY, self._on_density),
                              (Channel.PRIOR_SAMPLES, self._on_prior_samples)):
            client.subscribe(channel, slot, failed=say(channel))

    def show_model(self) -> None:
        self._request_manifold()
        self.plane.set_density(None)
        if self.density_shown:
            self.client.density()

    def set_manifold_shown(self, on: bool) -> None:
        self.manifold_shown = on
        if on:
            self._request_manifold()
        else:
            self.plane.set_manifold(None, (0, 1), (0, 1))

    def _request_manifold(self) -> None:
        if self.models.info is None or not self.manifold_shown:
            return
        x0, x1, y0, y1 = self.plane.view_rect()
        # A square region around the view keeps the grid's cells (and digits) square.
        cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) / 2
        self.client.manifold((cx - half, cx + half), (cy - half, cy + half), MANIFOLD_GRID)

    def _on_manifold(self, result: DecodeResult) -> None:
        if self.manifold_shown:
            self.plane.set_manifold(result.tile, result.x_range, result.y_range)

    def set_density_shown(self, on: bool) -> None:
        self.density_shown = on
        if on and self.models.info is not None:
            self.client.density()
        else:
            self.plane.set_density(None)

    def _on_density(self, result: DensityResult) -> None:
        if self.density_shown:
            self.plane.set_density(result.image, result.extent)

    def _on_reference_ready(self, generation: int) -> None:
        info = self.models.info
        if info is not None and generation == info.generation and self.density_shown:
            self.client.density()

    def sample_prior(self) -> None:
        if self.models.info is not None:
            self.client.prior_samples(SAMPLE_COUNT)

    def _on_prior_samples(self, result: PriorSamplesResult) -> None:
        PriorSamplesDialog(result.prior, result.aggregate, self._parent).show()
