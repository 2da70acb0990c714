"""Every panel shows the model on screen and the drawing on the canvas: switching models with the
Model menu's shortcuts (Ctrl+1 mnist-vae-2d, Ctrl+2 mnist-ae-16d, Ctrl+3 mnist-ae-2d) and back
leaves no panel describing another model, another drawing or a point the mouse has left; an
autoencoder's Distribution tab shows what an autoencoder has."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from vaedesk.data.sketches import draw_digit
from vaedesk.gui.controllers.insight import NEIGHBOURS_WAITING_TEXT
from vaedesk.gui.widgets.insight_tabs import NEIGHBOURS_TAB
from vaedesk.gui.widgets.lens import AUTOENCODER_TEXT
from vaedesk.gui.widgets.loss_view import AUTOENCODER_NOTE, WAITING_TEXT
from vaedesk.gui.widgets.panels import ENCODING_TEXT, NOTHING_HOVERED_TEXT, RECONSTRUCTION_CAPTION
from vaedesk.latent.attributes import Member

from tests.support.gui_input import draw_strokes, send_mouse
from tests.support.windows import LOAD_TIMEOUT, wait_for_final_posterior

pytestmark = pytest.mark.usefixtures("default_reference")


def _switch(qtbot, win, key: Qt.Key) -> dict:
    """Press Ctrl+``key`` (the Model menu's shortcut); returns what the panels said the moment
    the new model was shown, before any of its results could come."""
    said: dict = {}

    def look(name: str) -> None:
        said.update(_what_the_panels_say(win), model=name)

    win.model_ready.connect(look)
    with qtbot.waitSignal(win.model_ready, timeout=LOAD_TIMEOUT):
        qtbot.keyClick(win, key, Qt.KeyboardModifier.ControlModifier)
    win.model_ready.disconnect(look)
    return said


def _plain(win, name: str) -> str:
    """A label's text as the user reads it (its links as their words)."""
    return QTextDocumentFragment.fromHtml(win.findChild(QLabel, name).text()).toPlainText()


def _what_the_panels_say(win) -> dict:
    return {"readout": win.readout.text(), "lens": win.lens.mode(), "loss": win.loss_view.message(),
            "nearest": win.nearest_view.vote_text(), "dimensions": win.traversal_view.caption(),
            "preview": win.preview_view.caption(), "preview image": win.preview_view.image(),
            "reconstruction": win.recon_view.image(), "crosses": _crosses(win),
            "status": win.statusBar().currentMessage()}


def _crosses(win) -> int:
    """The plane's cross marks (0 or 1): an edited latent of the tab shown, or a training digit."""
    return len(win.plane.hover_marker.getData()[0])


def _move_over_plane(win, x: float, y: float) -> None:
    plane = win.plane
    scene_pos = plane.getPlotItem().getViewBox().mapViewToScene(QPointF(x, y))
    send_mouse(plane.viewport(), QEvent.Type.MouseMove, QPointF(plane.mapFromScene(scene_pos)),
               Qt.MouseButton.NoButton, Qt.MouseButton.NoButton)


def _leave_plane(win) -> None:
    QApplication.sendEvent(win.plane, QEvent(QEvent.Type.Leave))


def _preview_shows_the_reconstruction(win) -> None:
    assert win.preview_view.caption() == RECONSTRUCTION_CAPTION
    assert win.recon_view.image() is not None
    np.testing.assert_array_equal(win.preview_view.image(), win.recon_view.image())


def _explained(win) -> bool:
    report = win.last_report
    return report is not None and (report.iwae_nats is not None or win.model_info.kind != "vae")


@pytest.mark.slow
def test_every_panel_shows_the_current_model_and_drawing_across_model_switches(qtbot, window,
                                                                               explanation_references):
    explanation_references("mnist-ae-16d")
    win, panel = window, window.attribute_panel
    assert win.window_actions.model_names()[:2] == ["mnist-vae-2d", "mnist-ae-16d"]  # Ctrl+1, Ctrl+2
    assert win.preview_view.caption() == NOTHING_HOVERED_TEXT and win.preview_view.image() is None

    draw_strokes(qtbot, win.canvas, draw_digit(4, np.random.default_rng(4)))
    wait_for_final_posterior(qtbot, win)
    qtbot.waitUntil(lambda: _explained(win), timeout=30_000)
    # The decoder preview: the drawing's reconstruction, the hovered point while the mouse is
    # over the plane, the drawing again once it leaves.
    qtbot.waitUntil(lambda: _preview_shows_the_reconstruction(win), timeout=10_000)
    win.plane.setRange(xRange=(-3, 3), yRange=(-3, 3), padding=0)
    qtbot.wait(50)
    with qtbot.waitSignal(win.preview_changed, timeout=10_000):
        _move_over_plane(win, -0.5, 1.5)
    assert win.preview_view.caption().startswith("Hovered point (-0.5")
    _leave_plane(win)
    _preview_shows_the_reconstruction(win)

    # An attribute: "Computing…" until it comes, then what came; its cross only on its tab.
    win.show_arithmetic()
    panel.add_member("a", Member("test", np.array([3, 10]), "two test digits"))
    panel.add_member("b", Member("test", np.array([2, 5]), "two more"))
    panel.compute_button.click()
    assert win.statusBar().currentMessage() == "Computing the attribute…"
    qtbot.waitUntil(lambda: panel.vector() is not None, timeout=20_000)
    assert win.statusBar().currentMessage() == "Computed the attribute: from 2 examples in A to 2 in B"
    qtbot.waitUntil(lambda: _crosses(win) == 1, timeout=10_000)  # the drawing moved along it, decoded
    win.show_insight()
    assert _crosses(win) == 0
    win.show_arithmetic()
    qtbot.waitUntil(lambda: _crosses(win) == 1, timeout=10_000)

    # Another model: the moment it is shown, nothing of the last one is left.
    said = _switch(qtbot, win, Qt.Key.Key_2)
    assert said["model"] == "mnist-ae-16d" and said["status"].startswith("Model mnist-ae-16d ready")
    assert said["readout"] == ENCODING_TEXT and said["reconstruction"] is None
    assert said["preview"] == f"{RECONSTRUCTION_CAPTION}: encoding…" and said["preview image"] is None
    assert said["lens"] == "autoencoder" and said["loss"] == WAITING_TEXT and said["nearest"] == NEIGHBOURS_WAITING_TEXT
    assert said["dimensions"] == ENCODING_TEXT and said["crosses"] == 0
    assert panel.vector() is None  # its latents meant something else
    wait_for_final_posterior(qtbot, win)
    qtbot.waitUntil(lambda: _explained(win), timeout=60_000)
    qtbot.waitUntil(lambda: _preview_shows_the_reconstruction(win), timeout=10_000)
    assert _crosses(win) == 0

    # And back, on the Dimensions tab.
    win.show_traversals()
    said = _switch(qtbot, win, Qt.Key.Key_1)
    assert said["model"] == "mnist-vae-2d" and said["status"].startswith("Model mnist-vae-2d ready")
    assert said["readout"] == ENCODING_TEXT and said["preview image"] is None and said["lens"] == "waiting"
    assert said["loss"] == WAITING_TEXT and said["dimensions"] == ENCODING_TEXT and said["crosses"] == 0
    result = wait_for_final_posterior(qtbot, win)
    mean = result.posterior.mean[0]

    def sweeps_the_drawing() -> None:
        shown = win.traversal_view.traversal
        assert shown is not None and np.allclose(shown.origin, mean, atol=1e-6)

    qtbot.waitUntil(sweeps_the_drawing, timeout=30_000)
    assert win.traversal_view.caption().startswith("Each row moves one latent dimension of your drawing")
    qtbot.waitUntil(lambda: _preview_shows_the_reconstruction(win), timeout=10_000)
    win.show_insight()
    qtbot.waitUntil(lambda: _explained(win), timeout=60_000)
    report = win.last_report
    assert win.lens.mode() == "posterior" and win.loss_view.message() == ""
    assert f"−ELBO {report.neg_elbo_nats:.1f}" in _plain(win, "loss_sum")
    assert f"−log p(x) ≈ {report.iwae_nats:.1f}" in _plain(win, "loss_iwae")
    win.insight_tabs.setCurrentIndex(NEIGHBOURS_TAB)
    assert win.nearest_view.labels() == [str(int(k)) for k in report.neighbour_labels]
    assert win.statusBar().currentMessage().startswith("Model mnist-vae-2d ready")


@pytest.mark.slow
def test_an_autoencoders_distribution_tab_shows_its_code_and_reconstruction_alone(qtbot, window,
                                                                                  explanation_references):
    explanation_references("mnist-ae-2d")
    win, view = window, window.loss_view
    win.show_insight()
    said = _switch(qtbot, win, Qt.Key.Key_3)
    assert said["model"] == "mnist-ae-2d"
    assert win.lens.mode() == "autoencoder" and win.lens.message() == AUTOENCODER_TEXT

    draw_strokes(qtbot, win.canvas, draw_digit(3, np.random.default_rng(3)))
    result = wait_for_final_posterior(qtbot, win)
    qtbot.waitUntil(lambda: _explained(win) and view.message() == "", timeout=60_000)
    report = win.last_report
    assert _plain(win, "loss_autoencoder") == AUTOENCODER_NOTE
    x, y = (f"{v:+.2f}".replace("-", "−") for v in result.posterior.mean[0])
    assert _plain(win, "loss_code") == f"Your drawing's code: the point z = ({x}, {y})"
    assert f"{report.recon_nats:.1f} nats" in _plain(win, "loss_recon")

    def shown(name: str) -> bool:
        return view.findChild(QWidget, name).isVisible()

    assert all(shown(name) for name in ("loss_autoencoder", "loss_code", "loss_recon", "loss_pixel_error"))
    assert not any(shown(name) for name in ("loss_sum", "loss_iwae", "loss_decoded_std", "loss_kl", "loss_kl_bars"))
    readable = " ".join(QTextDocumentFragment.fromHtml(label.text()).toPlainText()
                        for label in view.findChildren(QLabel) if label.isVisible())
    assert "KL 0.00" not in readable and "= −ELBO" not in readable
    win.start_tour()  # its loss step says what an autoencoder's loss is, no KL term or −ELBO
    for _ in range(3):
        win.tour.next()
    assert "reconstruction alone" in win.tour.text.text() and f"{report.recon_nats:.1f} nats" in win.tour.text.text()
    assert "KL," not in win.tour.text.text()
    win.tour.stop()

    said = _switch(qtbot, win, Qt.Key.Key_1)  # a VAE: every term again
    assert said["model"] == "mnist-vae-2d" and said["loss"] == WAITING_TEXT
    qtbot.waitUntil(lambda: _explained(win) and view.message() == "", timeout=60_000)
    assert all(shown(name) for name in ("loss_sum", "loss_iwae", "loss_decoded_std", "loss_kl", "loss_kl_bars"))
    assert not any(shown(name) for name in ("loss_autoencoder", "loss_code"))
    assert len(view.kl_bars()) == 2 and win.lens.mode() == "posterior"
