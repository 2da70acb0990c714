"""The insight views (posterior lens, loss breakdown, nearest digits), through
their public API and object names, with plain NumPy data and no model.

Each test also saves a screenshot to /tmp/insight_*.png for a look by eye.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import QLabel, QWidget

from vaedesk.data.datasets import load_split
from vaedesk.errors import LatentError
from vaedesk.gui.widgets.images import ImageStrip
from vaedesk.gui.widgets.lens import AUTOENCODER_TEXT, NONE_TEXT, PosteriorLens
from vaedesk.gui.widgets.loss_view import AUTOENCODER_NOTE, MAX_BARS, NO_REPORT_TEXT, WAITING_TEXT, LossBreakdown
from vaedesk.gui.widgets.neighbours_view import NO_NEIGHBOURS_TEXT, NearestDigits
from vaedesk.insight.explanation import DrawingReport
from vaedesk.latent import geometry as latent

from tests.support.gui_input import click_first_link


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """Real MNIST test digits, to make the screenshots look like the app."""
    split = load_split("test", limit=64)
    return split.images, split.labels


def _show(qtbot, widget: QWidget, width: int, height: int) -> None:
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)


def _label(widget: QWidget, name: str) -> QLabel:
    label = widget.findChild(QLabel, name)
    assert label is not None, name
    return label


def _text(widget: QWidget, name: str) -> str:
    """A label's text as the user reads it (a rich-text label's links as their words)."""
    return QTextDocumentFragment.fromHtml(_label(widget, name).text()).toPlainText()


def _check_framed(lens: PosteriorLens, mean, cov) -> tuple[float, float, float, float]:
    """The view holds the whole 3σ ellipse and the ellipse fills most of it."""
    rect = lens.view_rect()
    assert rect is not None
    x0, x1, y0, y1 = rect
    ring = latent.covariance_ellipse(mean, cov, 3.0)
    assert (ring[:, 0] >= x0).all() and (ring[:, 0] <= x1).all()
    assert (ring[:, 1] >= y0).all() and (ring[:, 1] <= y1).all()
    span = ring.max(axis=0) - ring.min(axis=0)
    # The aspect lock widens one side, so "fills" is judged along the tighter direction.
    fill = max(span[0] / (x1 - x0), span[1] / (y1 - y0))
    assert fill >= 0.8, (rect, span)
    return rect


# --- posterior lens ---------------------------------------------------------------------


@pytest.mark.parametrize("sigma", [0.01, 2.0])
def test_lens_frames_the_3_sigma_ellipse_at_any_scale(qtbot, sigma: float) -> None:
    lens = PosteriorLens()
    _show(qtbot, lens, 300, 320)
    assert lens.objectName() == "posterior_lens"
    mean, cov = np.array([1.3, -0.7]), np.eye(2) * sigma**2
    lens.set_posterior(mean, cov, mean + sigma * np.random.default_rng(0).standard_normal((8, 2)))
    x0, x1, y0, y1 = _check_framed(lens, mean, cov)
    shorter = min(x1 - x0, y1 - y0)
    assert 6 * sigma / shorter >= 0.6  # the 3σ circle fills the shorter side
    assert lens.mode() == "posterior" and lens.message() == ""
    # A resized lens still frames it (the aspect lock recomputes the view).
    lens.resize(420, 220)
    qtbot.wait(10)
    _check_framed(lens, mean, cov)


def test_lens_follows_a_new_posterior(qtbot) -> None:
    lens = PosteriorLens()
    _show(qtbot, lens, 300, 300)
    seen: list[object] = []
    lens.view_changed.connect(seen.append)
    cov = np.array([[0.02, 0.015], [0.015, 0.03]]) ** 1  # tilted
    lens.set_posterior([0.0, 0.0], cov)
    first = lens.view_rect()
    lens.set_posterior([2.5, -1.0], cov)
    second = lens.view_rect()
    _check_framed(lens, [2.5, -1.0], cov)
    assert second[0] > first[1]  # moved right, clear of the old view
    centre = ((second[0] + second[1]) / 2, (second[2] + second[3]) / 2)
    assert centre == pytest.approx((2.5, -1.0), abs=1e-6)
    assert seen[-1] == second and first in seen
    # A much wider posterior at the same mean zooms out.
    lens.set_posterior([2.5, -1.0], cov * 100)
    _check_framed(lens, [2.5, -1.0], cov * 100)
    assert lens.view_rect()[1] - lens.view_rect()[0] > 5 * (second[1] - second[0])


def test_lens_grid_of_decodings_sits_in_view(qtbot, digits) -> None:
    images, _ = digits
    lens = PosteriorLens()
    _show(qtbot, lens, 300, 320)
    lens.set_axis_labels("z1", "z2")
    mean, cov = np.array([-1.7, -0.5]), np.diag([0.038, 0.056]) ** 2
    rng = np.random.default_rng(1)
    lens.set_posterior(mean, cov, rng.multivariate_normal(mean, cov, 8))
    points, extent = lens.grid_points(5)
    assert points.shape == (25, 2) and extent == lens.view_rect()
    lens.set_grid(latent.tile(images[:25], 5), extent)
    rects = np.array(lens.grid_rects())
    assert rects.shape == (25, 4)
    x0, x1, y0, y1 = lens.view_rect()
    assert (rects[:, 0] >= x0).all() and (rects[:, 1] <= x1).all()
    assert (rects[:, 2] >= y0).all() and (rects[:, 3] <= y1).all()
    # Each digit is centred on its grid point, as an upright square.
    np.testing.assert_allclose((rects[:, :2].mean(axis=1)), points[:, 0])
    np.testing.assert_allclose((rects[:, 2:].mean(axis=1)), points[:, 1])
    np.testing.assert_allclose(rects[:, 1] - rects[:, 0], rects[:, 3] - rects[:, 2])
    assert "decoder" in _label(lens, "posterior_lens_caption").text()
    lens.grab().save("/tmp/insight_lens.png")
    lens.set_grid(None)
    assert lens.grid_rects() == []


def test_lens_sentences_for_autoencoder_and_no_drawing(qtbot) -> None:
    lens = PosteriorLens()
    _show(qtbot, lens, 300, 300)
    message = _label(lens, "posterior_lens_message")
    assert lens.message() == NONE_TEXT and message.isVisible()
    seen: list[object] = []
    lens.view_changed.connect(seen.append)
    lens.set_posterior([0.5, 0.5], np.eye(2) * 0.01)
    assert not message.isVisible() and lens.view_rect() is not None
    lens.set_posterior([0.5, 0.5], None)  # a plain autoencoder has no covariance
    assert lens.mode() == "autoencoder"
    assert lens.message() == AUTOENCODER_TEXT == message.text()
    assert message.isVisible() and lens.view_rect() is None and seen[-1] is None
    lens.grab().save("/tmp/insight_lens_autoencoder.png")
    lens.set_posterior([0.5, 0.5], np.eye(2) * 0.01)
    lens.set_autoencoder()
    assert lens.message() == AUTOENCODER_TEXT
    lens.set_none()
    assert lens.message() == NONE_TEXT and lens.view_rect() is None


def test_lens_rejects_a_bad_covariance(qtbot) -> None:
    lens = PosteriorLens()
    qtbot.addWidget(lens)
    with pytest.raises(LatentError):
        lens.set_posterior([0.0, 0.0], [[1.0, 0.0], [0.0, -1.0]])
    with pytest.raises(ValueError):
        lens.set_posterior([0.0, np.nan], np.eye(2))


# --- loss breakdown ---------------------------------------------------------------------


def _report(images: np.ndarray, d: int = 6, iwae: float | None = 99.8, percentile: float | None = 97.0,
            inactive: tuple[int, ...] = (2, 4)) -> DrawingReport:
    kl = np.linspace(0.4, 2.0, d)
    mask = np.zeros(d, bool)
    mask[list(inactive)] = True
    kl[mask] = 0.004
    kl *= 6.2 / kl.sum()
    x = images[0].astype(np.float64)
    decoded = np.clip(0.85 * x + 0.05, 0.0, 1.0)
    pixel_error = -(x * np.log(decoded) + (1 - x) * np.log(1 - decoded))
    pixel_error *= 95.3 / pixel_error.sum()
    return DrawingReport(
        recon_nats=95.3, kl_nats=6.2, kl_per_dim=kl, neg_elbo_nats=101.5, iwae_nats=iwae,
        percentile=percentile, pixel_error=pixel_error, decoded_mean=decoded,
        decoded_std=0.3 * np.abs(np.gradient(x)[0]), neighbours=np.arange(5),
        neighbour_labels=np.arange(5), inactive_dims=mask,
    )


def test_loss_breakdown_shows_the_reports_numbers(qtbot, digits) -> None:
    images, _ = digits
    view = LossBreakdown()
    _show(qtbot, view, 300, 560)
    assert view.objectName() == "loss_breakdown"
    assert view.message() == NO_REPORT_TEXT
    view.set_report(_report(images))
    assert view.message() == ""
    assert _text(view, "loss_sum") == "recon 95.3 + KL 6.2 = −ELBO 101.5 nats"
    iwae = _text(view, "loss_iwae")
    assert "−log p(x) ≈ 99.8 nats" in iwae and "tighter than the −ELBO by 1.7 nats" in iwae
    assert "more unusual than 97% of test digits" in _text(view, "loss_percentile")
    assert "95.3" in _text(view, "loss_recon") and "6.2" in _text(view, "loss_kl")
    bars = view.kl_bars()
    assert [dim for dim, _, _ in bars] == list(range(6))
    assert [dim for dim, _, inactive in bars if inactive] == [2, 4]
    assert sum(kl for _, kl, _ in bars) == pytest.approx(6.2)
    assert "inactive (2 of 6)" in _text(view, "loss_kl_note")


@pytest.mark.parametrize("name, key", [("loss_sum", "reconstruction"), ("loss_iwae", "iwae"),
                                       ("loss_percentile", "percentile"), ("loss_recon", "reconstruction"),
                                       ("loss_kl", "kl"), ("loss_kl_caption", "prior"),
                                       ("loss_kl_note", "active_unit")])
def test_the_loss_terms_link_into_the_glossary(qtbot, digits, name, key) -> None:
    images, _ = digits
    view = LossBreakdown()
    _show(qtbot, view, 300, 560)
    view.set_report(_report(images))
    label = _label(view, name)
    assert label.toolTip().startswith("<p><b>") and "glossary:" in label.text()
    with qtbot.waitSignal(view.term_requested, timeout=2000) as asked:
        click_first_link(qtbot, label)
    assert asked.args == [key]


def test_loss_breakdown_without_iwae_or_percentile(qtbot, digits) -> None:
    images, _ = digits
    view = LossBreakdown()
    _show(qtbot, view, 300, 560)
    view.set_report(_report(images, iwae=None, percentile=None, inactive=()))
    assert "estimated on pen release" in _text(view, "loss_iwae")
    assert not _label(view, "loss_percentile").isVisible()
    assert not _label(view, "loss_kl_note").isVisible()
    view.set_report(_report(images, percentile=12.0))
    assert "more typical than 88% of test digits" in _text(view, "loss_percentile")
    view.set_report(None)
    assert view.message() == NO_REPORT_TEXT and view.kl_bars() == []


def test_loss_breakdown_says_what_it_waits_for(qtbot, digits) -> None:
    images, _ = digits
    view = LossBreakdown()
    _show(qtbot, view, 300, 560)
    view.show_message(WAITING_TEXT)
    assert view.message() == WAITING_TEXT and view.kl_bars() == []
    view.set_report(_report(images, iwae=None), estimating=True)  # the pen is up: −log p(x) is on its way
    assert view.message() == "" and _text(view, "loss_iwae") == "−log p(x): being estimated…"


def test_an_autoencoders_breakdown_has_its_code_and_reconstruction_and_says_why_nothing_more(qtbot, digits) -> None:
    images, _ = digits
    view = LossBreakdown()
    _show(qtbot, view, 300, 560)
    view.set_autoencoder(True)
    ae = _report(images, iwae=None, inactive=())
    view.set_code(np.array([1.234, -0.5, 0.0]))
    view.set_report(ae)
    assert view.is_autoencoder() and view.message() == ""
    assert _text(view, "loss_autoencoder") == AUTOENCODER_NOTE
    assert _text(view, "loss_code") == "Your drawing's code: the point z = (+1.23, −0.50, +0.00)"
    assert "95.3" in _text(view, "loss_recon")
    shown = {name: view.findChild(QWidget, name).isVisible()
             for name in ("loss_autoencoder", "loss_code", "loss_recon", "loss_pixel_error", "loss_decoded_mean",
                          "loss_sum", "loss_iwae", "loss_decoded_std", "loss_uncertainty_caption", "loss_kl",
                          "loss_kl_caption", "loss_kl_bars", "loss_kl_note")}
    assert [name for name, visible in shown.items() if visible] == [
        "loss_autoencoder", "loss_code", "loss_recon", "loss_pixel_error", "loss_decoded_mean"]
    view.set_code(np.arange(12.0))  # a wide code: the first dimensions, then how many more
    assert _text(view, "loss_code").endswith("+7.00, … 4 more)")

    view.set_autoencoder(False)  # a VAE again: every term, no autoencoder lines
    view.set_report(_report(images))
    assert all(view.findChild(QWidget, name).isVisible()
               for name in ("loss_sum", "loss_iwae", "loss_decoded_std", "loss_kl", "loss_kl_bars"))
    assert not any(view.findChild(QWidget, name).isVisible() for name in ("loss_autoencoder", "loss_code"))


def test_loss_breakdown_shows_the_largest_bars_of_a_wide_latent(qtbot, digits) -> None:
    images, _ = digits
    view = LossBreakdown()
    _show(qtbot, view, 300, 560)
    report = _report(images, d=64, inactive=tuple(range(40, 64)))
    view.set_report(report)
    bars = view.kl_bars()
    assert len(bars) == MAX_BARS
    values = [kl for _, kl, _ in bars]
    assert values == sorted(values, reverse=True)
    assert {dim for dim, _, _ in bars} == set(np.argsort(-report.kl_per_dim)[:MAX_BARS].tolist())
    assert "32 largest of 64" in _text(view, "loss_kl_note")
    view.grab().save("/tmp/insight_loss_64d.png")


# --- nearest digits ---------------------------------------------------------------------


def test_nearest_digits_vote_and_click(qtbot, digits) -> None:
    images, _ = digits
    view = NearestDigits()
    _show(qtbot, view, 300, 140)
    assert view.objectName() == "nearest_digits"
    assert view.vote_text() == NO_NEIGHBOURS_TEXT
    labels = np.array([3, 3, 5, 8, 3, 1, 2, 3])
    view.set_neighbours(images[:8], labels)
    assert view.vote_text() == "Lands among: 3 3 5 8 3 → 3"
    assert view.labels() == [str(v) for v in labels]
    strip = view.findChild(ImageStrip, "nearest_digits_strip")
    tiles = strip.tiles()
    assert len(tiles) == 8 and [t.caption() for t in tiles] == view.labels()
    qtbot.wait(10)  # let the layout place the tiles
    with qtbot.waitSignal(view.digit_clicked, timeout=1000) as blocker:
        qtbot.mouseClick(tiles[2], Qt.MouseButton.LeftButton, pos=tiles[2].rect().center())
    assert blocker.args == [2]
    # The keyboard reaches the same signal: the click gave focus and chose digit 2.
    assert view.hasFocus() and view.current_index() == 2
    qtbot.keyClick(view, Qt.Key.Key_Right)
    with qtbot.waitSignal(view.digit_clicked, timeout=1000) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert blocker.args == [3]
    view.grab().save("/tmp/insight_neighbours.png")


def test_nearest_digits_tie_names_and_clear(qtbot, digits) -> None:
    images, _ = digits
    view = NearestDigits()
    _show(qtbot, view, 300, 140)
    view.set_neighbours(images[:6], [2, 7, 7, 2, 1, 1])
    assert view.vote_text() == "Lands among: 2 7 7 2 1 → 2 (a tie: the nearest wins)"
    view.set_neighbours(images[:3], [0, 9, 9], vote_k=3, names=[f"c{k}" for k in range(10)])
    assert view.vote_text() == "Lands among: c0 c9 c9 → c9"
    with pytest.raises(ValueError):
        view.set_neighbours(images[:3], [1, 2])
    view.set_neighbours(None, None)
    assert view.vote_text() == NO_NEIGHBOURS_TEXT and view.labels() == [] and view.current_index() is None
