"""The window's controllers driven alone: real widgets, a fake client that records the
requests and lets the test feed results, no window and no model process."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QStatusBar, QWidget

from vaedesk.gui.controllers.drawing import DrawingController
from vaedesk.gui.controllers.files import FilesController
from vaedesk.gui.controllers.model import ModelController
from vaedesk.gui.controllers.overlays import PlaneOverlays
from vaedesk.gui.controllers.pins import PinsController
from vaedesk.gui.controllers.subject import Subject
from vaedesk.gui.dialogs.messages import MessageBoxes
from vaedesk.gui.plane.widget import LatentPlane
from vaedesk.gui.settings import view_kind
from vaedesk.gui.widgets.panels import ENCODING_TEXT, NO_DRAWING_TEXT, DrawPanel, PosteriorPanel, PreviewPanel
from vaedesk.latent.views import LinearView
from vaedesk.model.posterior import Posterior
from vaedesk.service.model_service import SAMPLE_COUNT
from vaedesk.service.protocol import (
    Channel,
    DecodeResult,
    EncodeResult,
    ModelInfo,
    PriorSamplesResult,
    ViewFitCancelled,
    ViewFitProgress,
)
from vaedesk.state.workspace import Workspace

SEVEN = [np.array([[40.0, 40.0], [200.0, 40.0], [90.0, 240.0]])]


class FakeWorker(QObject):
    reference_ready = Signal(int)
    export_progress = Signal(int, int)
    export_finished = Signal(str)
    export_cancelled = Signal()


class FakeClient:
    """Records each request as (method, args, kwargs); ``feed`` and ``fail`` play the model's
    answers to the subscribers of a channel, as WorkerClient does."""

    def __init__(self) -> None:
        self.worker = FakeWorker()
        self.requests: list[tuple[str, tuple, dict]] = []
        self._ids = itertools.count(1)
        self._results: dict[Channel, list] = {}
        self._failures: dict[Channel, list] = {}

    def subscribe(self, channel, slot=None, failed=None) -> None:
        if slot is not None:
            self._results.setdefault(channel, []).append(slot)
        if failed is not None:
            self._failures.setdefault(channel, []).append(failed)

    def feed(self, channel: Channel, result: object) -> None:
        for slot in self._results.get(channel, []):
            slot(result)

    def fail(self, channel: Channel, message: str) -> None:
        for slot in self._failures.get(channel, []):
            slot(message)

    def asked(self, method: str) -> list[tuple[tuple, dict]]:
        return [(args, kwargs) for name, args, kwargs in self.requests if name == method]

    def __getattr__(self, method: str):
        def request(*args, **kwargs) -> int:
            self.requests.append((method, args, kwargs))
            return next(self._ids)

        return request


def _info(name="fake", generation=1, view=None, latent_dim=2, kind="vae") -> ModelInfo:
    view = view or LinearView("pca", np.eye(2), np.zeros(2), np.eye(2), ("PC1", "PC2"))
    rng = np.random.default_rng(0)
    return ModelInfo(Channel.LOAD, 1, generation, name, kind, latent_dim, {"metrics": {"neg_elbo": 123.4}}, view,
                     rng.normal(size=(40, 2)), np.arange(40) % 10)


def _encoded(request_id=1, generation=1) -> EncodeResult:
    posterior = Posterior(np.array([[0.5, -1.0]], np.float32), np.log(np.array([[0.25, 1.0]], np.float32)))
    samples = np.full((SAMPLE_COUNT, 2), 0.25)
    return EncodeResult(Channel.ENCODE, request_id, generation, np.zeros((28, 28), np.float32), posterior,
                        np.array([0.5, -1.0]), np.diag([0.25, 1.0]), samples, samples)


@pytest.fixture
def parts(qtbot, tmp_path):
    """The pieces the window would give its controllers, with the model controller over a fake client."""
    host = QWidget()
    qtbot.addWidget(host)
    status = QStatusBar(host)
    client, workspace, plane = FakeClient(), Workspace(), LatentPlane(host)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    messages = MessageBoxes(host)
    models = ModelController(client, workspace, plane, settings, status, messages, "fake", host)
    return {"host": host, "status": status, "client": client, "workspace": workspace, "plane": plane,
            "settings": settings, "messages": messages, "models": models}


def _drawing(parts):
    draw, posterior, preview = DrawPanel(), PosteriorPanel(SAMPLE_COUNT), PreviewPanel()
    controller = DrawingController(parts["client"], parts["workspace"], parts["models"], draw, posterior, preview,
                                   parts["plane"], parts["status"], parts["messages"], parts["host"])
    return controller, draw, posterior, preview


def test_the_model_controller_sets_the_plane_up_and_falls_back_when_a_load_fails(parts):
    client, models, plane = parts["client"], parts["models"], parts["plane"]
    shown = []
    models.shown.connect(shown.append)
    models.switch("fake")
    assert client.asked("load_model") == [(("fake", "pca"), {})]
    client.feed(Channel.LOAD, _info())
    assert models.info is shown[0] and parts["settings"].value("model") == "fake"
    assert plane.axis_labels() == ("PC1", "PC2") and len(plane.scatter_item.points()) == 40
    assert "Model fake ready: VAE, 2-d latent — test −ELBO 123.4 nats (restored)" == models.ready_text(
        models.info, "restored")

    reverted = []
    models.reverted.connect(reverted.append)
    models.switch("gone.safetensors")
    client.fail(Channel.LOAD, "no such file")
    assert reverted == ["fake"] and models.key == "fake"  # the shown model stays
    assert [box.windowTitle() for box in parts["messages"].open_boxes()] == ["Cannot load model"]


def test_pins_are_latent_points_placed_by_each_view_and_shown_only_with_their_model(parts):
    client, models, workspace, plane = parts["client"], parts["models"], parts["workspace"], parts["plane"]
    preview = PreviewPanel()
    pins = PinsController(client, workspace, models, Subject(workspace, models), plane, preview, parts["status"])
    first = LinearView("dims", [[1, 0, 0], [0, 1, 0]], np.zeros(3), np.eye(3), ("z1", "z2"), shown_dims=(0, 1))
    second = LinearView("lda", [[0, 1, 0], [0, 0, 1]], np.zeros(3), np.eye(3), ("LD1", "LD2"), shown_dims=(1, 2))
    client.feed(Channel.LOAD, _info(view=first, latent_dim=3))
    pins.request()
    pin = pins.add(1.0, 2.0)  # z = (1, 2, 0)
    assert workspace.pin(pin).latent == pytest.approx((1.0, 2.0, 0.0)) and workspace.pin(pin).model == "fake"
    models.set_view("lda")
    client.feed(Channel.LOAD, _info(generation=2, view=second, latent_dim=3))
    pins.request()
    assert dict(plane.pins())[pin] == pytest.approx((2.0, 0.0))  # where the new view shows z
    assert workspace.pin(pin).latent == pytest.approx((1.0, 2.0, 0.0))
    # Another model: its plane is another space, the pin is kept but not shown there.
    models.switch("other")
    client.feed(Channel.LOAD, _info(name="other", generation=3, view=first, latent_dim=3))
    pins.request()
    assert plane.pins() == [] and pins.pins_label.text() == "Pins (1 more kept with other models)"
    assert workspace.pin(pin).latent == pytest.approx((1.0, 2.0, 0.0))
    (ids, latents), _ = client.asked("decode_pins")[-1]
    assert list(ids) == [] and len(latents) == 0  # nothing of another model is decoded


def test_while_a_view_is_fitted_the_old_one_is_marked_and_cancel_keeps_it(parts, qtbot):
    from PySide6.QtCore import Qt

    client, models, plane, settings = parts["client"], parts["models"], parts["plane"], parts["settings"]
    parts["host"].resize(700, 500)
    parts["host"].show()
    pca = LinearView("pca", [[1, 0, 0], [0, 1, 0]], np.zeros(3), np.eye(3), ("PC1 (40% var)", "PC2 (20% var)"))
    client.feed(Channel.LOAD, _info(view=pca, latent_dim=3))
    kept = []
    models.view_kept.connect(kept.append)
    banner = plane.findChild(QWidget, "view_progress")
    assert banner is models.fit_banner and not banner.isVisible()

    models.set_view("neighbors")
    assert client.asked("load_model")[-1] == (("fake", "neighbors"), {})
    client.feed(Channel.VIEW_FIT, ViewFitProgress(2, "neighbors", "starting"))
    client.feed(Channel.VIEW_FIT, ViewFitProgress(2, "neighbors", "encoding the training set", 0.4))
    assert banner.isVisible() and banner.geometry().top() < plane.height() // 4  # over the plane's top
    assert banner.text().startswith("Still the principal components view — fitting the neighbourhoods (UMAP) "
                                    "view: encoding the training set 40% · ")
    assert plane.axis_labels() == ("PC1 (40% var)", "PC2 (20% var)")  # the old view's, until the new one comes
    models.set_view("neighbors")  # asked again while it is fitted: the fit goes on
    assert len(client.asked("load_model")) == 1

    qtbot.mouseClick(banner.findChild(QWidget, "view_progress_cancel"), Qt.MouseButton.LeftButton)
    assert len(client.asked("cancel_view_fit")) == 1 and "cancelling" in banner.text()
    client.feed(Channel.VIEW_FIT, ViewFitCancelled(2))
    assert not banner.isVisible() and kept == ["pca"] and models.info.view is pca
    assert view_kind(settings, "fake") == "pca"  # remembered as the view shown, not the one cancelled
    assert "Kept the principal components view" in parts["status"].currentMessage()

    # A fit that fails says why; the shown view stays.
    models.set_view("neighbors")
    client.feed(Channel.VIEW_FIT, ViewFitProgress(3, "neighbors", "laying out", 0.5))
    client.fail(Channel.LOAD, "the neighbourhood view needs the umap-learn package (pip install umap-learn)")
    assert not banner.isVisible() and kept == ["pca", "pca"]
    assert [box.windowTitle() for box in parts["messages"].open_boxes()] == ["Cannot show the view"]

    # The new view, once fitted, takes the banner away.
    models.set_view("neighbors")
    client.feed(Channel.VIEW_FIT, ViewFitProgress(4, "neighbors", "laying out", 0.9))
    neighbours = LinearView("lda", [[0, 1, 0], [0, 0, 1]], np.zeros(3), np.eye(3), ("UMAP 1", "UMAP 2"))
    client.feed(Channel.LOAD, _info(generation=4, view=neighbours, latent_dim=3))
    assert not banner.isVisible() and plane.axis_labels() == ("UMAP 1", "UMAP 2")


def test_the_drawing_is_encoded_and_its_posterior_shown(parts):
    client, workspace, plane = parts["client"], parts["workspace"], parts["plane"]
    drawing, draw, posterior, preview = _drawing(parts)
    shown, encoding = [], []
    drawing.posterior_shown.connect(shown.append)
    drawing.encoding.connect(encoding.append)
    workspace.set_strokes(SEVEN, None)
    assert client.asked("encode") == []  # no model yet
    client.feed(Channel.LOAD, _info())
    drawing.show_model()
    assert len(client.asked("encode")) == 1 and encoding == [True]  # the pen is up: a finished drawing
    assert draw.canvas.strokes()  # the workspace's drawing is on the canvas
    assert shown == [None] and posterior.readout.text() == ENCODING_TEXT  # until the model shown encodes it

    result = _encoded()
    client.feed(Channel.ENCODE, result)
    assert drawing.last_encode is result and shown == [None, result]
    assert "KL(q‖N(0,I))" in posterior.readout.text()
    assert plane.mean_item.points().tolist() == [[0.5, -1.0]]
    assert "lands at (+0.50, -1.00)" in plane.accessibleDescription()
    images = np.random.default_rng(1).random((1 + SAMPLE_COUNT, 28, 28))
    client.feed(Channel.SAMPLES, DecodeResult(Channel.SAMPLES, 1, 1, np.zeros((9, 2)), images))
    assert preview.recon_view.image() is not None

    assert drawing.keep() == 0 and preview.gallery_strip.count() == 1
    drawing.clear()
    assert shown[-1] is None and drawing.last_encode is None and drawing.latest_encode_id == 0
    assert posterior.readout.text() == NO_DRAWING_TEXT
    assert drawing.keep() is None and "Nothing to keep" in parts["status"].currentMessage()

    client.fail(Channel.ENCODE, "out of memory")
    assert [box.text() for box in parts["messages"].open_boxes()] == ["out of memory"]


def test_pins_are_decoded_previewed_and_made_the_subject(parts):
    client, workspace, models = parts["client"], parts["workspace"], parts["models"]
    preview = PreviewPanel()
    subject = Subject(workspace, models)
    pins = PinsController(client, workspace, models, subject, parts["plane"], preview, parts["status"])
    previews, changes = [], []
    pins.preview_changed.connect(previews.append)
    subject.changed.connect(lambda: changes.append(subject.pin))
    client.feed(Channel.LOAD, _info())

    pin = pins.add(1.0, -0.5)
    assert pins.selected == pin and subject.pin == pin and changes == [pin]
    (ids, points), _ = client.asked("decode_pins")[-1]
    assert ids == [pin] and points.tolist() == [[1.0, -0.5]]
    image = np.ones((28, 28), np.float32)
    client.feed(Channel.PINS, DecodeResult(Channel.PINS, 2, 1, points, image[None], ids=(pin,)))
    assert preview.pin_strip.count() == 1 and preview.preview_view.caption() == "Pin 1 at (+1.00, -0.50)"
    assert len(previews) == 1
    latent, what = subject.latent()
    assert latent.tolist() == [1.0, -0.5] and what == "pin 1"

    parts["plane"].hovered.emit(0.25, 0.75)
    assert client.asked("hover")[-1] == ((0.25, 0.75), {})
    client.feed(Channel.HOVER, DecodeResult(Channel.HOVER, 3, 1, np.array([[0.25, 0.75]]), image[None]))
    assert preview.preview_view.caption() == "Hovered point (+0.25, +0.75)"

    workspace.set_strokes(SEVEN, None)  # a new drawing is the subject again
    assert subject.pin is None and subject.latent() is None  # until its posterior is shown
    assert pins.add(1e9, 0.0) is None and "within" in parts["status"].currentMessage()


def test_overlays_follow_their_switches(parts, qtbot):
    client, plane = parts["client"], parts["plane"]
    overlays = PlaneOverlays(client, parts["models"], plane, parts["status"], parts["host"])
    overlays.set_manifold_shown(True)
    assert client.asked("manifold") == []  # no model yet
    client.feed(Channel.LOAD, _info())
    overlays.show_model()
    (x_range, y_range, n), _ = client.asked("manifold")[-1]
    assert n == 20 and x_range[1] - x_range[0] == pytest.approx(y_range[1] - y_range[0])  # square cells
    client.feed(Channel.GRID, DecodeResult(Channel.GRID, 1, 1, np.zeros((0, 2)), np.zeros((0, 28, 28)),
                                           tile=np.zeros((56, 56)), x_range=(-1.0, 1.0), y_range=(-1.0, 1.0)))
    assert plane.manifold_rect() == pytest.approx((-1.0, 1.0, -1.0, 1.0))
    overlays.set_manifold_shown(False)
    assert plane.manifold_rect() is None

    overlays.set_density_shown(True)
    assert len(client.asked("density")) == 1
    client.worker.reference_ready.emit(1)  # the model's references are ready: the density again
    assert len(client.asked("density")) == 2

    overlays.sample_prior()
    images = np.zeros((SAMPLE_COUNT, 28, 28))
    client.feed(Channel.PRIOR_SAMPLES, PriorSamplesResult(Channel.PRIOR_SAMPLES, 5, 1, images, images))
    assert parts["host"].findChild(QWidget, "prior_samples") is not None
    client.fail(Channel.DENSITY, "no training set")
    assert parts["status"].currentMessage() == "density: no training set"


def test_files_open_and_save_with_one_clear_warning_on_failure(parts, tmp_path):
    from vaedesk.gui.controllers.autosave import SessionKeeper

    workspace, messages = parts["workspace"], parts["messages"]
    draw = DrawPanel()
    keeper = SessionKeeper(workspace, lambda: "fake")
    files = FilesController(workspace, draw.canvas, parts["plane"], keeper, messages, parts["status"], parts["host"])
    draw.canvas.set_strokes(SEVEN)
    keeper.unsaved_drawings = True
    path = tmp_path / "seven.png"
    assert files.save_drawing(path) and path.exists() and not keeper.unsaved_drawings
    draw.canvas.clear()
    assert files.open_file(path) and draw.canvas.strokes()

    assert not files.open_file(tmp_path / "missing.png")
    assert not files.save_drawing(path / "inside-a-file.png")  # a file is no folder
    assert [box.windowTitle() for box in messages.open_boxes()] == ["Cannot open file", "Cannot save drawing"]


def test_latent_arithmetic_asks_for_the_vector_and_moves_the_subject_along_it(parts, qtbot):
    from vaedesk.gui.controllers.arithmetic import AttributeController
    from vaedesk.gui.widgets.insight_tabs import ARITHMETIC_TAB, InsightTabs
    from vaedesk.latent.attributes import Member
    from vaedesk.service.protocol import AttributeResult

    client, workspace, models, plane = parts["client"], parts["workspace"], parts["models"], parts["plane"]
    drawing, *panels = _drawing(parts)  # the panels must outlive the test
    subject = Subject(workspace, models)
    drawing.posterior_shown.connect(subject.set_posterior)
    tabs = InsightTabs(QWidget())
    qtbot.addWidget(tabs)
    arithmetic = AttributeController(client, workspace, models, drawing, subject, tabs, plane, parts["status"],
                                     parts["messages"])
    tabs.setCurrentIndex(ARITHMETIC_TAB)
    tabs.show()
    client.feed(Channel.LOAD, _info())
    arithmetic.show_model()

    panel = tabs.attribute_panel
    panel.add_member("a", Member("test", np.array([1]), "test #1"))
    panel.add_member("b", Member("test", np.array([2]), "test #2"))
    arithmetic.compute()
    (group_a, group_b), _ = client.asked("attribute")[-1]
    assert [m.label for m in group_a] == ["test #1"] and [m.label for m in group_b] == ["test #2"]
    client.feed(Channel.ATTRIBUTE, AttributeResult(Channel.ATTRIBUTE, 1, 1, np.zeros(2), np.array([1.0, 0.0]), (1, 1)))
    start, end = plane.attribute_arrow()
    assert start.tolist() == [0.0, 0.0] and end.tolist() == [1.0, 0.0]

    workspace.set_strokes(SEVEN, None)
    client.feed(Channel.ENCODE, _encoded())  # the drawing is the subject: α moves its mean
    panel.set_alpha(2.0)
    (latent,), _ = client.asked("decode_latent")[-1]
    assert latent.tolist() == pytest.approx([0.5 + 2.0, -1.0])
    client.feed(Channel.LATENT, DecodeResult(Channel.LATENT, 9, 1, np.array([[2.5, -1.0]]), np.ones((1, 28, 28))))
    assert plane.hover_marker.getData()[0].tolist() == [2.5]

    client.fail(Channel.ATTRIBUTE, "group A is empty")
    assert [box.text() for box in parts["messages"].open_boxes()] == ["Group A is empty."]


def test_the_decoder_preview_says_what_it_shows_and_rests_on_the_drawing(parts):
    from vaedesk.gui.controllers.preview import DecoderPreview
    from vaedesk.gui.widgets.panels import NOTHING_HOVERED_TEXT, RECONSTRUCTION_CAPTION

    client, workspace, models, plane = parts["client"], parts["workspace"], parts["models"], parts["plane"]
    drawing, _draw, _posterior, panel = _drawing(parts)
    pins = PinsController(client, workspace, models, Subject(workspace, models), plane, panel, parts["status"])
    preview = DecoderPreview(panel, plane, workspace, drawing, pins)
    view = panel.preview_view
    assert view.caption() == NOTHING_HOVERED_TEXT and view.image() is None
    models.switch("fake")
    assert models.loading  # until the model is shown
    client.feed(Channel.LOAD, _info())
    assert not models.loading
    drawing.show_model()

    workspace.set_strokes(SEVEN, None)
    assert view.caption() == f"{RECONSTRUCTION_CAPTION}: encoding…"
    client.feed(Channel.ENCODE, _encoded())
    images = np.random.default_rng(1).random((1 + SAMPLE_COUNT, 28, 28))
    client.feed(Channel.SAMPLES, DecodeResult(Channel.SAMPLES, 1, 1, np.zeros((9, 2)), images))
    assert view.caption() == RECONSTRUCTION_CAPTION and np.array_equal(view.image(), images[0])

    plane.hovered.emit(0.25, 0.75)  # the hovered point, until the mouse leaves the plane
    hovered = np.zeros((1, 28, 28), np.float32)
    client.feed(Channel.HOVER, DecodeResult(Channel.HOVER, 3, 1, np.array([[0.25, 0.75]]), hovered))
    assert view.caption() == "Hovered point (+0.25, +0.75)" and not preview.resting
    plane.hover_left.emit()
    assert preview.resting and view.caption() == RECONSTRUCTION_CAPTION
    assert np.array_equal(view.image(), images[0])

    drawing.show_model()  # another model: its reconstruction is on its way
    assert view.caption() == f"{RECONSTRUCTION_CAPTION}: encoding…" and view.image() is None
    workspace.clear()
    assert view.caption() == NOTHING_HOVERED_TEXT and view.image() is None
