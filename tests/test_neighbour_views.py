"""Neighbourhood views stored beside a model's weights (``vaedesk views``) and fitted beside the
model process while it goes on answering, with progress and a cancel (headless, no Qt)."""

from __future__ import annotations

import logging
import shutil
import time

import numpy as np
import pytest

import vaedesk.data.datasets
from vaedesk.cli import main
from vaedesk.latent.views import (
    NEIGHBOUR_STAGES,
    NeighbourView,
    fit_view,
    neighbour_view_path,
    read_neighbour_view,
    save_neighbour_view,
    stored_neighbour_view,
)
from vaedesk.model.catalog import resolve_model_path
from vaedesk.model.encodings import data_digest
from vaedesk.model.model import load_model
from vaedesk.service.model_service import SCATTER_LIMIT, VIEW_FIT_MODULE, ModelService
from vaedesk.service.process import running_children
from vaedesk.service.protocol import (
    Channel,
    DecodeRequest,
    DecodeResult,
    Envelope,
    LoadRequest,
    ModelInfo,
    ViewFitCancelled,
    ViewFitProgress,
)


@pytest.fixture
def own_model(tmp_path):
    """mnist-vae-16d copied to a folder of the user's: a model with no stored view beside it."""
    weights = resolve_model_path("mnist-vae-16d")
    for suffix in (".safetensors", ".json"):
        shutil.copy(weights.with_suffix(suffix), tmp_path / f"mine{suffix}")
    return tmp_path / "mine.safetensors"


def _a_view(dim: int = 16, n: int = 300) -> NeighbourView:
    rng = np.random.default_rng(0)
    return NeighbourView(rng.standard_normal((n, dim)), rng.standard_normal((n, 2)) * 5)


def test_a_shipped_model_shows_its_stored_view_without_its_training_set(monkeypatch, tmp_path):
    monkeypatch.setenv("VAEDESK_CACHE", str(tmp_path / "empty-cache"))  # a new machine
    monkeypatch.delenv("VAEDESK_NEIGHBOUR_POINTS", raising=False)

    def no_training_set(*_args, **_kwargs):
        raise AssertionError("the stored view needs no training set")

    model = load_model("mnist-vae-16d")
    with monkeypatch.context() as patch:
        patch.setattr(vaedesk.data.datasets, "model_split", no_training_set)
        started = time.perf_counter()
        view = fit_view(model, "neighbors")
        assert time.perf_counter() - started < 1.0
    assert isinstance(view, NeighbourView) and view.fitted_latents.shape == (12_000, 16)
    # It places the model's own encodings among their neighbours, as the fitted map did.
    np.testing.assert_allclose(view.to_plane(view.fitted_latents[:20]), view.fitted_plane[:20], atol=1e-4)
    # The app's test-set scatter comes placed, where the view places the test digits.
    test = vaedesk.data.datasets.model_split(model.card, "test", as_uint8=True).images
    places = view.known_places[data_digest(test[:SCATTER_LIMIT])]
    means = model.encode(test[:500] / np.float32(255)).mean
    # (Another machine's encodings differ in the last bits; a rare tie among neighbours may move one.)
    assert np.quantile(np.linalg.norm(places[:500] - view.to_plane(means), axis=1), 0.99) < 1e-3


def test_a_stored_view_is_read_back_to_float16_precision_and_written_atomically(own_model, tmp_path):
    model = load_model(own_model)
    view = _a_view()
    path = save_neighbour_view(view, neighbour_view_path(own_model), seed=0, weights_sha256=model.digest)
    assert path == tmp_path / "mine.neighbours.npz"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.json", "mine.neighbours.npz", "mine.safetensors"]
    again = stored_neighbour_view(model)
    np.testing.assert_allclose(again.fitted_latents, view.fitted_latents, rtol=1e-3, atol=1e-3)
    np.testing.assert_array_equal(again.fitted_plane, view.fitted_plane)
    assert read_neighbour_view(path, model.digest, seed=1) is None  # fitted with another seed


def test_a_stale_or_broken_stored_view_is_ignored_with_a_log_line(own_model, caplog):
    model = load_model(own_model)
    path = neighbour_view_path(own_model)
    save_neighbour_view(_a_view(), path, seed=0, weights_sha256="0" * 64)
    with caplog.at_level(logging.WARNING, "vaedesk.latent.views"):
        assert read_neighbour_view(path, model.digest) is None
    assert "fitted for other weights" in caplog.text and "fitted again" in caplog.text

    caplog.clear()
    path.write_bytes(b"PK\x03\x04 not a zip at all")
    with caplog.at_level(logging.WARNING, "vaedesk.latent.views"):
        assert read_neighbour_view(path, model.digest) is None
    assert "cannot be read" in caplog.text

    caplog.clear()  # arrays that would need pickle to read are refused, not run
    np.savez(path, format=np.array(1), fitted_latents=np.array([object()], dtype=object), fitted_plane=np.zeros(1),
             seed=np.array(0), weights_sha256=np.array(model.digest))
    with caplog.at_level(logging.WARNING, "vaedesk.latent.views"):
        assert read_neighbour_view(path, model.digest) is None
    assert "cannot be read" in caplog.text


def test_the_views_command_names_a_bad_model_in_one_line(capsys, tmp_path):
    assert main(["views", str(tmp_path / "missing.safetensors")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("vaedesk: error: ") and "missing" in err and err.count("\n") == 1
    assert main(["views", "mnist-vae-2d"]) == 1
    err = capsys.readouterr().err
    assert "2-d latent space is its own plane" in err and err.count("\n") == 1


@pytest.mark.slow
def test_the_views_command_fits_and_stores_a_view_the_model_then_uses(capsys, monkeypatch, own_model):
    pytest.importorskip("umap")
    monkeypatch.setenv("VAEDESK_NEIGHBOUR_POINTS", "300")
    assert main(["views", str(own_model)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"wrote {neighbour_view_path(own_model)}: 300 training means of mnist-vae-16d")
    assert [line.split("  ")[0] for line in err.splitlines()] == list(NEIGHBOUR_STAGES)
    model = load_model(own_model)
    stored = read_neighbour_view(neighbour_view_path(own_model), model.digest)
    assert stored is not None and stored.fitted_latents.shape == (300, 16)


class Recorder:
    def __init__(self) -> None:
        self.events: list[object] = []

    def __call__(self, message: object) -> None:
        self.events.append(message)

    def of(self, kind: type) -> list:
        return [event for event in list(self.events) if isinstance(event, kind)]


def _serve_until(service: ModelService, done, timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        service.process_next(timeout=0.1)
    assert done(), "the service did not get there in time"


def _fit_children() -> list:
    return running_children(VIEW_FIT_MODULE)


@pytest.mark.slow
def test_a_view_is_fitted_beside_the_service_which_answers_meanwhile(monkeypatch, own_model):
    pytest.importorskip("umap")
    monkeypatch.setenv("VAEDESK_NEIGHBOUR_POINTS", "260")  # a quick map, fitted in this test
    sent = Recorder()
    service = ModelService(sent)
    service.submit(Envelope(Channel.LOAD, 1, 1, LoadRequest(str(own_model), "pca")))
    _serve_until(service, lambda: sent.of(ModelInfo))
    service.submit(Envelope(Channel.LOAD, 2, 2, LoadRequest(str(own_model), "neighbors")))
    _serve_until(service, lambda: sent.of(ViewFitProgress))
    # While the view is fitted the service answers with the model and view it shows.
    service.submit(Envelope(Channel.HOVER, 3, 2, DecodeRequest(np.array([[0.5, -0.5]]))))
    _serve_until(service, lambda: sent.of(DecodeResult))
    assert sent.of(DecodeResult)[0].generation == 1 and service.view.kind == "pca"
    _serve_until(service, lambda: len(sent.of(ModelInfo)) == 2)
    info = sent.of(ModelInfo)[1]
    assert info.generation == 2 and info.view.kind == "neighbors" and len(info.view.fitted_latents) == 260
    stages = [event.stage for event in sent.of(ViewFitProgress)]
    assert stages[0] == "starting" and all(event.generation == 2 for event in sent.of(ViewFitProgress))
    assert [stage for stage in dict.fromkeys(stages) if stage != "starting"] == list(NEIGHBOUR_STAGES)
    service.wait_for_helpers()
    deadline = time.monotonic() + 30
    while _fit_children() and time.monotonic() < deadline:  # its work done, it ends by itself
        time.sleep(0.1)
    assert _fit_children() == []


@pytest.mark.slow
def test_a_cancelled_fit_ends_its_process_and_the_shown_view_stays(monkeypatch, own_model):
    monkeypatch.setenv("VAEDESK_NEIGHBOUR_POINTS", "60000")  # a map of minutes, never cached: cancelled long before
    sent = Recorder()
    service = ModelService(sent)
    service.submit(Envelope(Channel.LOAD, 1, 1, LoadRequest(str(own_model), "pca")))
    _serve_until(service, lambda: sent.of(ModelInfo))
    service.submit(Envelope(Channel.LOAD, 2, 2, LoadRequest(str(own_model), "neighbors")))
    _serve_until(service, lambda: sent.of(ViewFitProgress) and _fit_children())
    service.cancel_view_fit(2)
    assert sent.of(ViewFitCancelled) == [ViewFitCancelled(2)]
    assert _fit_children() == []
    service.cancel_view_fit(2)  # once is enough: nothing more to stop
    assert len(sent.of(ViewFitCancelled)) == 1
    for _ in range(20):
        service.process_next(timeout=0.05)
    assert len(sent.of(ModelInfo)) == 1 and service.view.kind == "pca"
    service.wait_for_helpers()
