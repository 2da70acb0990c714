"""Regenerate the pictures of README.md and docs/ with the real app: window, the window in
the dark theme, the distribution tab, the guided tour, manifold, morph GIF, traversals,
views, latent arithmetic, two models compared, training studio.

    QT_QPA_PLATFORM=offscreen python resources/screenshots/make_screenshots.py
    QT_QPA_PLATFORM=offscreen python resources/screenshots/make_screenshots.py --only window,dark

``--only`` makes just the named pictures (the names of their files, without extension) and
skips the steps that only the others need; ``--out DIR`` writes them elsewhere (to compare).

The digit is drawn with real mouse events, pins are placed at the centres of some digit
clusters, and the GIF is exported through the window's own export (in the model process, atomic).
The training studio runs a real short training (saved in a temporary VAEDESK_HOME).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
OUT = HERE  # where the pictures go (--out)

from tests.support.gui_input import draw_strokes  # noqa: E402
from vaedesk.gui import MainWindow  # noqa: E402
from vaedesk.data.sketches import draw_digit  # noqa: E402

MORPH_DIGITS = (1, 7, 2, 0)
SHOTS = ("window", "dark", "distribution", "tour", "morph", "manifold", "traversals", "views", "arithmetic",
         "compare", "training")
_only: set[str] = set(SHOTS)


def wanted(*names: str) -> bool:
    return any(name in _only for name in names)


class _Pause:
    """The one method of pytest-qt's qtbot that draw_strokes uses."""

    @staticmethod
    def wait(ms: int) -> None:
        pause(ms)


def pause(ms: int) -> None:
    # A real event loop, so the model process' results (queued by the client's reading
    # thread) are shown while the script waits.
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_until(condition, timeout_s: float = 120.0) -> None:
    for _ in range(int(timeout_s * 20)):
        if condition():
            return
        pause(50)
    raise TimeoutError("the app did not get there in time")


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    window = MainWindow(model="mnist-vae-2d")
    window.resize(1440, 900)
    window.show()
    wait_until(lambda: window.model_info is not None)
    info = window.model_info
    for digit in MORPH_DIGITS:
        centre = np.median(info.scatter_xy[info.scatter_labels == digit], axis=0)
        window.add_pin(float(centre[0]), float(centre[1]))
    draw_strokes(_Pause(), window.canvas, draw_digit(3, np.random.default_rng(3)))
    wait_until(lambda: window.last_encode is not None and window.morph_panel.preview.image() is not None)
    window.morph_panel.frames.setValue(60)
    window.morph_panel.easing.setCurrentText("ease-in-out")
    window.morph_panel.pingpong.setChecked(True)
    window.morph_panel.play.setChecked(True)
    pause(1500)
    if wanted("window"):
        window.grab().save(str(OUT / "window.png"))
    if wanted("dark"):
        dark_screenshot(window)
    wait_until(lambda: window.last_report is not None and window.last_report.iwae_nats is not None)
    if wanted("distribution"):
        window.show_insight()
        pause(1500)
        window.grab().save(str(OUT / "distribution.png"))
    if wanted("tour"):
        window.start_tour()
        pause(500)
        window.tour.next()
        pause(800)
        window.grab().save(str(OUT / "tour.png"))
        window.tour.stop()
    window.insight_tabs.setCurrentIndex(0)
    if wanted("morph"):
        done = []
        window.export_done.connect(done.append)
        window.morph_panel.frame_size.setValue(168)
        window.morph.export_to(OUT / "morph.gif", "gif")
        wait_until(lambda: bool(done))
    if wanted("manifold"):
        window.window_actions.manifold.setChecked(True)
        pause(2500)
        window.grab().save(str(OUT / "manifold.png"))
        window.window_actions.manifold.setChecked(False)
    if wanted("traversals", "views", "arithmetic", "compare"):
        traversals_screenshot(window)
    if wanted("training"):
        training_screenshot(window)
    window.close()
    app.quit()


def dark_screenshot(window: MainWindow) -> None:
    """The same window in the Dark theme, chosen as a user chooses it (View -> Theme), with the
    Distribution tab, where captions, plots and the loss's colours all have to read."""
    theme = window.theme()
    next(a for a in window.window_actions.themes.actions() if a.data() == "dark").trigger()
    wait_until(lambda: window.last_report is not None and window.last_report.iwae_nats is not None)
    window.show_insight()
    pause(1500)
    window.grab().save(str(OUT / "dark.png"))
    window.insight_tabs.setCurrentIndex(0)
    next(a for a in window.window_actions.themes.actions() if a.data() == theme).trigger()
    pause(500)


def traversals_screenshot(window: MainWindow) -> None:
    """The 16-d model's Dimensions tab for a drawn 4, one slider moved."""
    window.switch_model("mnist-vae-16d")
    wait_until(lambda: window.model_info is not None and window.model_info.name == "mnist-vae-16d")
    window.clear_drawing()
    draw_strokes(_Pause(), window.canvas, draw_digit(4, np.random.default_rng(2)))
    window.show_traversals()
    wait_until(lambda: window.traversal_view.traversal is not None
               and window.traversal_view.traversal.origin.shape == (16,))
    window.traversal_view.sliders()[0].setValue(-250)
    pause(1500)
    if wanted("traversals"):
        window.grab().save(str(OUT / "traversals.png"))
    window.insight_tabs.setCurrentIndex(0)
    if wanted("views"):
        views_screenshot(window)
    if wanted("arithmetic"):
        arithmetic_screenshot(window)
    if wanted("compare"):
        compare_screenshot(window)
    window.switch_model("mnist-vae-2d")
    wait_until(lambda: window.model_info is not None and window.model_info.name == "mnist-vae-2d")


def compare_screenshot(window: MainWindow) -> None:
    """View -> Compare models on the 16-d model: the VAE and the autoencoder on the drawn 4,
    the same prior draws, the morph to an 8, the cursor on a point of the VAE's plane."""
    compare = window.show_compare()
    wait_until(lambda: all(info is not None for info in compare.infos), timeout_s=300)
    wait_until(lambda: all(p.draws.tiles()[0].image() is not None for p in compare.panes), timeout_s=300)
    compare.morph()
    wait_until(lambda: all(p.morph.tiles()[-1].image() is not None for p in compare.panes), timeout_s=300)
    info = compare.infos[0]
    centre = np.median(info.scatter_xy[info.scatter_labels == 9], axis=0)
    compare.panes[0].plane.hovered.emit(float(centre[0]), float(centre[1]))
    pause(2000)
    compare.grab().save(str(OUT / "compare.png"))
    compare.close()


def views_screenshot(window: MainWindow) -> None:
    """The 16-d model's latent plane under each view, side by side, with the drawn 4."""
    from PIL import Image

    actions = window.window_actions
    panels = []
    for action in (actions.view_pca, actions.view_lda, actions.view_dims, actions.view_neighbors):
        ready = []
        window.model_ready.connect(ready.append)
        action.trigger()
        wait_until(lambda r=ready: bool(r) or window.model_info.view.kind == action.data(), timeout_s=300)
        window.model_ready.disconnect(ready.append)
        wait_until(lambda: window.last_encode is not None)
        pause(1200)
        path = OUT / f".view-{action.data()}.png"
        window.plane.grab().save(str(path))
        panels.append(Image.open(path).convert("RGB"))
        path.unlink()
    width, height = panels[0].size
    sheet = Image.new("RGB", (2 * width, 2 * height), "white")
    for i, panel in enumerate(panels):
        sheet.paste(panel.resize((width, height)), ((i % 2) * width, (i // 2) * height))
    sheet.save(OUT / "views.png")
    actions.view_pca.trigger()
    wait_until(lambda: window.model_info.view.kind == "pca", timeout_s=120)


def arithmetic_screenshot(window: MainWindow) -> None:
    """Latent arithmetic on the 16-d model: "slant" from three upright 1s to three slanted
    ones (drawn and kept), added to a drawn 7 (the LDA view keeps the clusters apart)."""
    from vaedesk.attributes import Member

    window.window_actions.view_lda.trigger()
    wait_until(lambda: window.model_info.view.kind == "lda", timeout_s=120)
    rng = np.random.default_rng(0)
    for slant in (0.0, 0.0, 0.0, 0.45, 0.45, 0.45):
        x, top, bottom = 140 + rng.normal(0, 15), 40 + rng.normal(0, 8), 240 + rng.normal(0, 8)
        dx = slant * (bottom - top) / 2
        window.clear_drawing()
        draw_strokes(_Pause(), window.canvas, [np.array([[x + dx, top], [x - dx, bottom]])])
        wait_until(lambda: window.last_encode is not None)
        pause(300)
        window.keep_drawing()
    inputs = window.workspace.gallery_inputs()
    panel = window.attribute_panel
    panel.add_member("a", Member("images", np.stack(inputs[:3]), "3 upright 1s"))
    panel.add_member("b", Member("images", np.stack(inputs[3:]), "3 slanted 1s"))
    window.clear_drawing()
    draw_strokes(_Pause(), window.canvas, draw_digit(7, np.random.default_rng(10)))
    window.show_arithmetic()
    panel.compute_button.click()
    wait_until(lambda: panel.vector() is not None)
    panel.name_edit.setText("slant")
    panel.save_button.click()
    panel.set_alpha(1.5)
    pause(1500)
    window.grab().save(str(OUT / "arithmetic.png"))
    window.insight_tabs.setCurrentIndex(0)
    window.window_actions.view_pca.trigger()
    wait_until(lambda: window.model_info.view.kind == "pca", timeout_s=120)


def training_screenshot(window: MainWindow) -> None:
    """A 2-D VAE trained for a few epochs on 20,000 images, with the user's drawing on its plane."""
    panel = window.open_training()
    panel.limit.setValue(20000)
    panel.epochs.setValue(4)
    ended = []
    panel.run_ended.connect(ended.append)
    panel.start()
    wait_until(lambda: bool(ended), timeout_s=600)
    panel.plane.hovered.emit(1.0, -1.0)
    pause(1000)
    panel.grab().save(str(OUT / "training.png"))
    panel.close()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SHOTS), help=f"comma-separated, of: {', '.join(SHOTS)}")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the pictures (default: beside this script)")
    args = parser.parse_args()
    chosen = {name.strip() for name in args.only.split(",") if name.strip()}
    OUT = args.out
    OUT.mkdir(parents=True, exist_ok=True)
    unknown = chosen - set(SHOTS)
    if unknown:
        parser.error(f"no such picture: {', '.join(sorted(unknown))}")
    _only.clear()
    _only.update(chosen)
    os.environ["VAEDESK_HOME"] = tempfile.mkdtemp(prefix="vaedesk-screenshots-")
    main()
