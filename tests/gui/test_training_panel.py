"""The training studio, driven from the real window: runs, curves, plane, cancel, NaN, beta = 0,
a short run's plane and diagnoses, pause while the model is evaluated."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt

import vaedesk
from vaedesk.data.datasets import FASHION_CLASSES, FASHION_MNIST_DIR
from vaedesk.data.sketches import draw_digit
from vaedesk.gui.studio.panel import PRIOR_REACH, REDRAW_MS
from vaedesk.insight.diagnostics import Measured, diagnose
from vaedesk.support.paths import user_models_dir
from vaedesk.training.config import Progress

from tests.support.gui_input import answer_close_question, draw_strokes
from tests.support.windows import open_window, wait_for_final_posterior

pytestmark = pytest.mark.usefixtures("default_reference")

RUN_TIMEOUT = 180_000


@pytest.fixture
def studio(qtbot):
    win, _ = open_window(qtbot)
    panel = win.open_training()
    # Small and quick: a narrow network on 512 images.
    panel.limit.setValue(512)
    panel.epochs.setValue(2)
    panel.batch.setValue(64)
    yield win, panel
    win.close()


def small_config(panel, monkeypatch):
    """Narrow the network the panel asks for (width and hidden are not in the panel)."""
    original = type(panel).config

    def config(self):
        c = original(self)
        c.width, c.hidden = 8, 32
        return c

    monkeypatch.setattr(type(panel), "config", config)


def run(qtbot, panel, how="finished"):
    with qtbot.waitSignal(panel.run_ended, timeout=RUN_TIMEOUT) as ended:
        assert panel.start()
    assert ended.args == [how], panel.status.text()


def start_a_long_run(qtbot, panel, monkeypatch, epochs: int = 50) -> list[int]:
    """Start a run of ``epochs`` and wait for its first checkpoint; returns the epochs saved so far."""
    small_config(panel, monkeypatch)
    panel.epochs.setValue(epochs)
    checkpoints: list[int] = []
    panel.worker.checkpoint_saved.connect(lambda path, epoch: checkpoints.append(epoch))
    assert panel.start()
    qtbot.waitUntil(lambda: len(checkpoints) >= 1, timeout=RUN_TIMEOUT)
    return checkpoints


def test_action_opens_the_panel(studio):
    win, panel = studio
    assert win.window_actions.train.objectName() == "action_train"
    assert win.window_actions.train in win.window_actions.model_menu.actions()
    assert panel.objectName() == "training_panel" and panel.isVisible()
    assert win.open_training() is panel  # one studio per window


@pytest.mark.slow
@pytest.mark.subprocess
def test_a_short_run_reports_draws_curves_and_plane_and_saves_a_model_that_loads(qtbot, studio, monkeypatch):
    win, panel = studio
    small_config(panel, monkeypatch)
    draw_strokes(qtbot, win.canvas, draw_digit(3, np.random.default_rng(3)))
    wait_for_final_posterior(qtbot, win)
    reports, snapshots, saved = [], [], []
    panel.worker.progress.connect(reports.append)
    panel.worker.snapshot.connect(snapshots.append)
    panel.model_saved.connect(saved.append)
    run(qtbot, panel)

    assert [r.epoch for r in reports if r.epoch_done] == [1, 2]
    assert len(panel.curves["step_recon"].getData()[0]) == len(reports)
    epochs_x, test_total = panel.curves["test_total"].getData()
    assert list(epochs_x) == [1, 2] and np.all(np.isfinite(test_total))
    # Each epoch is a dot on its curve.
    np.testing.assert_allclose(panel.epoch_marks["test_total"].points(), np.column_stack([epochs_x, test_total]))
    # Each plot frames its curves: the whole run across, every value inside its range.
    total_steps = reports[-1].steps_per_epoch * reports[-1].epochs
    framing = ((0, ("step_recon", "step_total"), (0, total_steps)), (1, ("step_kl",), (0, total_steps)),
               (2, ("train_total", "test_total"), (0.5, 2.5)), (3, ("train_kl", "test_kl"), (0.5, 2.5)))
    for plot, curves, across in framing:
        (x0, x1), (y0, y1) = panel.loss_plots[plot].getViewBox().viewRange()
        assert (x0, x1) == pytest.approx(across)
        for name in curves:
            values = panel.curves[name].getData()[1]
            assert y0 <= values.min() and values.max() <= y1, (name, y0, y1)
    # The plane was re-encoded with the weights as they changed, and shows the drawing.
    assert len(snapshots) >= 2 and len(panel.plane.scatter_item.points()) == 2000
    # The view follows the moving cloud: most of it (99 of 100 points) is in sight.
    (x0, x1), (y0, y1) = panel.plane.getPlotItem().getViewBox().viewRange()
    xy = snapshots[-1].scatter_xy
    inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
    assert inside.mean() >= 0.99
    # A VAE's frame holds the prior's 3σ as well, wherever the cloud is.
    assert x0 <= -PRIOR_REACH and x1 >= PRIOR_REACH and y0 <= -PRIOR_REACH and y1 >= PRIOR_REACH
    assert not np.allclose(snapshots[0].scatter_xy, snapshots[-1].scatter_xy)
    assert snapshots[-1].drawing is not None and panel.drawing_view.image() is not None

    # Saved with its card in the user's folder, listed, loadable, reproducible from the CLI.
    path = user_models_dir() / (panel.last_run_name + ".safetensors")
    assert saved == [str(path)]
    name = panel.last_run_name
    assert name in vaedesk.list_models()
    model = vaedesk.load_model(name)
    assert model.card["epochs"] == 2 and "neg_elbo" in model.card["metrics"]
    assert model.card["command"].startswith("vaedesk train --kind vae --latent-dim 2 --epochs 2")
    assert "--limit 512" in model.card["command"]
    assert [h["epoch"] for h in model.card["history"]] == [1, 2]
    assert name in [a.data() for a in win.window_actions.models.actions()]  # in the window's Model menu
    assert not [p for p in user_models_dir().iterdir() if p.name.startswith(".")]  # no temporary files


@pytest.mark.slow
@pytest.mark.subprocess
def test_hovering_the_training_plane_decodes_with_the_current_weights(qtbot, studio, monkeypatch):
    _win, panel = studio
    small_config(panel, monkeypatch)
    panel.epochs.setValue(50)
    decoded, snapshots = [], []
    panel.worker.hover_decoded.connect(lambda x, y, image: decoded.append((x, y, image)))
    panel.worker.snapshot.connect(snapshots.append)
    with qtbot.waitSignal(panel.run_ended, timeout=RUN_TIMEOUT):
        panel.start()
        qtbot.waitUntil(lambda: bool(snapshots), timeout=RUN_TIMEOUT)
        panel.pause_button.click()  # paused, the loop still answers hovers with its weights
        panel.plane.hovered.emit(0.5, -0.25)
        qtbot.waitUntil(lambda: bool(decoded), timeout=10_000)
        panel.cancel()
    x, y, image = decoded[-1]
    assert (x, y) == (0.5, -0.25) and image.shape == (28, 28) and np.all((image >= 0) & (image <= 1))
    assert panel.hover_view.image() is not None and "(+0.50, -0.25)" in panel.hover_view.caption()

    # After the run the plane still decodes, with the final weights.
    decoded.clear()
    panel.plane.hovered.emit(-1.0, 1.0)
    qtbot.waitUntil(lambda: bool(decoded), timeout=10_000)
    assert decoded[-1][:2] == (-1.0, 1.0)


@pytest.mark.slow
@pytest.mark.subprocess
def test_cancel_keeps_the_last_complete_epoch_and_leaves_no_partial_file(qtbot, studio, monkeypatch):
    _win, panel = studio
    with qtbot.waitSignal(panel.run_ended, timeout=RUN_TIMEOUT) as ended:
        checkpoints = start_a_long_run(qtbot, panel, monkeypatch)
        panel.pause_button.click()  # pausing first: a paused run must still cancel
        assert panel.pause_button.text() == "Resume"
        panel.cancel()
    assert ended.args == ["cancelled"]
    assert "kept" in panel.status.text()
    files = sorted(p.name for p in user_models_dir().iterdir())
    assert files == [panel.last_run_name + ".json", panel.last_run_name + ".safetensors"]
    model = vaedesk.load_model(panel.last_run_name)
    assert model.card["epochs"] == checkpoints[-1] < 50
    assert panel.start_button.isEnabled() and not panel.cancel_button.isEnabled()



@pytest.mark.slow
@pytest.mark.subprocess
def test_a_run_that_ends_draws_its_last_points_one_plot_at_a_time(qtbot, studio, monkeypatch):
    """Painting the four plots' last points in one go (most with a new range) blocked the
    window for 40-90 ms; they are drawn in turn, and run_ended comes once all are drawn."""
    _win, panel = studio
    start_a_long_run(qtbot, panel, monkeypatch)
    panel.pause_button.click()  # no more reports from the process
    qtbot.wait(8 * REDRAW_MS)  # every plot has drawn what came
    last = Progress(epoch=7, epochs=50, step=999, steps_per_epoch=8, recon=150.0, kl=5.0, images_per_second=1e3,
                    epoch_done=True, train={"recon": 150.0, "kl": 5.0},
                    test={"recon": 151.0, "kl": 5.0, "neg_elbo": 156.0})

    def plots_showing_it() -> int:
        curves = ("step_recon", "step_kl", "train_total", "train_kl")
        newest = [panel.curves[name].getData()[0][-1] for name in curves]
        return sum(x in (last.step, last.epoch) for x in newest)

    with qtbot.waitSignal(panel.run_ended, timeout=10_000) as ended:
        panel.worker.progress.emit(last)  # the last report, and the run's end right behind it
        panel.worker.cancelled.emit("")
        assert plots_showing_it() <= 1
    assert ended.args == ["cancelled"] and plots_showing_it() == 4
    assert panel.start_button.isEnabled() and "Cancelled" in panel.status.text()


# Runs train in a child process: a sitecustomize module on its PYTHONPATH changes it there.
EXPLODING_LOSS = """
import vaedesk.training.loop as training

_original, _calls = training.loss_terms, [0]


def _exploding(*args):
    recon, kl = _original(*args)
    _calls[0] += 1
    return (recon * float("nan"), kl) if _calls[0] > 3 else (recon, kl)


training.loss_terms = _exploding
"""


@pytest.mark.slow
@pytest.mark.subprocess
def test_a_diverging_run_stops_safely_and_says_so(qtbot, studio, monkeypatch, tmp_path):
    _win, panel = studio
    small_config(panel, monkeypatch)
    (tmp_path / "sitecustomize.py").write_text(EXPLODING_LOSS)
    # Before the caller's path: the child imports the vaedesk under test, not another copy.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])))
    run(qtbot, panel, how="failed")
    assert "diverged" in panel.status.text()
    assert [d.title for d in panel.diagnoses] == ["Training diverged"]
    assert not user_models_dir().exists() or not any(user_models_dir().iterdir())  # no epoch completed


@pytest.mark.slow
@pytest.mark.subprocess
def test_a_killed_training_process_is_one_message_keeps_the_last_epoch_and_resumes(qtbot, studio, monkeypatch):
    win, panel = studio
    assert not panel.resume_button.isEnabled()  # nothing to resume yet
    with qtbot.waitSignal(panel.run_ended, timeout=RUN_TIMEOUT) as ended:
        checkpoints = start_a_long_run(qtbot, panel, monkeypatch, epochs=4)
        panel.pause_button.click()  # so it cannot finish before it is killed
        pid = panel.worker.pid()
        assert pid is not None and pid != os.getpid()  # training is not in the app's process
        os.kill(pid, signal.SIGKILL)
    assert ended.args == ["failed"]
    assert "the training process was ended by signal SIGKILL" in panel.status.text()
    assert "Kept" in panel.status.text()
    assert vaedesk.load_model(panel.last_run_name).card["epochs"] >= checkpoints[0]
    assert panel.start_button.isEnabled() and win.model_info is not None  # the app goes on

    # The studio offers to continue it, and the resumed run ends with the epochs asked for.
    (run,) = panel.interrupted_runs()
    assert run.name == panel.last_run_name and run.epochs == 4 and 1 <= run.epoch < 4
    assert panel.resume_button.isEnabled()
    with qtbot.waitSignal(panel.run_ended, timeout=RUN_TIMEOUT) as ended:
        assert panel.resume_run(run)
    assert ended.args == ["finished"], panel.status.text()
    card = vaedesk.load_model(run.name).card
    assert card["epochs"] == 4 and card["resumed"] == 1 and [h["epoch"] for h in card["history"]] == [1, 2, 3, 4]
    assert panel.interrupted_runs() == [] and not panel.resume_button.isEnabled()


@pytest.mark.slow
@pytest.mark.subprocess
def test_beta_zero_is_flagged_before_and_during_the_run(qtbot, studio, monkeypatch):
    _win, panel = studio
    small_config(panel, monkeypatch)
    panel.beta.setValue(0.0)
    assert "β = 0: no pull toward the prior" in [d.title for d in panel.diagnoses]
    panel.epochs.setValue(1)
    run(qtbot, panel)
    assert "β = 0: no pull toward the prior" in [d.title for d in panel.diagnoses]
    assert "--beta 0.0" in vaedesk.load_model(panel.last_run_name).card["command"]


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def watch_snapshots(panel) -> list[tuple]:
    """Each snapshot as the panel showed it: (snapshot, plane caption, diagnoses)."""
    seen: list[tuple] = []
    # Connected after the panel's own slot, so it sees what that slot left.
    panel.worker.snapshot.connect(lambda snap: seen.append((snap, panel.plane_caption.text(), panel.diagnoses)))
    return seen


@pytest.mark.slow
@pytest.mark.subprocess
def test_a_short_run_refreshes_its_plane_every_epoch_and_judges_only_trained_weights(qtbot, studio, monkeypatch):
    """Three epochs of 8 steps, far fewer than the refresh interval of a long run (the studio's
    own network: a narrower one's cloud stays a speck for longer)."""
    _win, panel = studio
    panel.epochs.setValue(3)
    seen = watch_snapshots(panel)
    with qtbot.waitSignal(panel.run_ended, timeout=RUN_TIMEOUT) as ended:
        click(qtbot, panel.start_button)
    assert ended.args == ["finished"], panel.status.text()

    snapshots = [snap for snap, _caption, _diagnoses in seen]
    assert len(snapshots) >= 10 and snapshots[0].step == 1
    for epoch in (1, 2, 3):
        assert any(epoch - 1 < snap.epoch <= epoch for snap in snapshots), epoch
    final = snapshots[-1]
    assert final.final and final.step == 24 and not any(snap.final for snap in snapshots[:-1])
    for snap, caption, diagnoses in seen:
        assert f"at step {snap.step} (epoch {snap.epoch:.1f}); {snap.active_units} active latent unit" in caption
        if snap.epoch < 1:  # the weights of the first steps are not judged: β = 1 has nothing to say yet
            assert diagnoses == [], (snap.step, diagnoses)
        assert not [d for d in diagnoses if "above 1" in d.text]  # β = 1 is no strong pull
    assert "the run's final weights at step 24" in panel.plane_caption.text()
    # The plane shows the final weights' 2,000 test points, all in view, no longer the speck
    # that the network of the first step makes of them.
    shown = panel.plane.scatter_item.points()
    np.testing.assert_allclose(np.sort(shown, axis=0), np.sort(final.scatter_xy, axis=0))
    assert len(shown) == 2000 and panel.plane.scatter_item.visible_points().all()
    (x0, x1), (y0, y1) = panel.plane.getPlotItem().getViewBox().viewRange()
    assert (x0 <= shown[:, 0]).mean() >= 0.99 and (shown[:, 0] <= x1).mean() >= 0.99
    assert (y0 <= shown[:, 1]).mean() >= 0.99 and (shown[:, 1] <= y1).mean() >= 0.99

    def spread(snap) -> float:
        return float(np.max(np.percentile(snap.scatter_xy, 95, axis=0) - np.percentile(snap.scatter_xy, 5, axis=0)))

    assert spread(final) >= 3 * spread(snapshots[0]), (spread(final), spread(snapshots[0]))
    # The diagnoses at the end are those of the final weights.
    config = panel.config()
    measured = Measured(final.epoch, final.active_units, final.kl)
    assert panel.diagnoses == diagnose("vae", config.beta, 2, panel_epochs(panel), measured)


def panel_epochs(panel) -> list[dict]:
    """The epoch records the panel drew, as the per-epoch curves show them."""
    epochs, train_kl = panel.curves["train_kl"].getData()
    _epochs, test_kl = panel.curves["test_kl"].getData()
    _epochs, train_total = panel.curves["train_total"].getData()
    _epochs, test_total = panel.curves["test_total"].getData()
    return [{"epoch": e, "train_recon": t - k, "train_kl": k, "test_kl": tk, "test_neg_elbo": tt}
            for e, k, tk, t, tt in zip(epochs, train_kl, test_kl, train_total, test_total)]


@pytest.mark.slow
@pytest.mark.subprocess
def test_a_cancelled_run_shows_the_plane_and_diagnoses_of_its_final_weights(qtbot, studio, monkeypatch):
    _win, panel = studio
    seen = watch_snapshots(panel)
    panel.beta.setValue(0.0)  # its own diagnosis, and none that contradicts it
    with qtbot.waitSignal(panel.run_ended, timeout=RUN_TIMEOUT) as ended:
        start_a_long_run(qtbot, panel, monkeypatch, epochs=50)
        qtbot.waitUntil(lambda: bool(seen) and seen[-1][0].epoch >= 1.5, timeout=RUN_TIMEOUT)
        click(qtbot, panel.cancel_button)
    assert ended.args == ["cancelled"]
    final, caption, diagnoses = seen[-1]
    assert final.final and final.epoch > 1.5 and f"the run's final weights at step {final.step} " in caption
    assert [d.title for d in panel.diagnoses] == ["β = 0: no pull toward the prior"] == [d.title for d in diagnoses]


SLOW_EVALUATION = """
import time

import vaedesk.insight.evaluation as evaluation

_original = evaluation.evaluate


def _slow(*args, **kwargs):
    time.sleep(4)
    return _original(*args, **kwargs)


evaluation.evaluate = _slow
"""


@pytest.mark.slow
@pytest.mark.subprocess
def test_pause_while_the_model_is_evaluated_says_the_run_is_paused(qtbot, studio, monkeypatch, tmp_path):
    _win, panel = studio
    small_config(panel, monkeypatch)
    panel.epochs.setValue(1)
    (tmp_path / "sitecustomize.py").write_text(SLOW_EVALUATION)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])))
    with qtbot.waitSignal(panel.run_ended, timeout=RUN_TIMEOUT) as ended:
        click(qtbot, panel.start_button)
        qtbot.waitUntil(lambda: panel.status.text().startswith("Evaluating on the test set"), timeout=RUN_TIMEOUT)
        click(qtbot, panel.pause_button)
        assert panel.pause_button.text() == "Resume" and panel.pause_button.isChecked()
        assert panel.status.text().startswith("Paused. Evaluating on the test set"), panel.status.text()
        qtbot.wait(6 * REDRAW_MS)  # no redraw of the progress takes the word back
        assert panel.status.text().startswith("Paused.") and panel.is_running()
        click(qtbot, panel.pause_button)
        assert panel.pause_button.text() == "Pause" and panel.status.text().startswith("Evaluating on the test set")
        click(qtbot, panel.pause_button)  # paused again: the evaluation under way still ends the run
        assert panel.status.text().startswith("Paused.")
    assert ended.args == ["finished"]
    assert panel.status.text().startswith("Done: saved") and panel.pause_button.text() == "Pause"
    assert not panel.pause_button.isChecked() and not panel.pause_button.isEnabled()


def test_invalid_settings_are_refused_with_a_message(studio):
    _win, panel = studio
    panel.name.setText("no spaces / allowed")
    assert not panel.start()
    assert "cannot be a model name" in panel.status.text()
    panel.name.setText("mnist-vae-2d")  # never overwrites a model
    assert not panel.start()
    assert "already exists" in panel.status.text()
    assert not panel.is_running()


@pytest.mark.slow
@pytest.mark.subprocess
def test_fine_tuning_takes_the_parents_network_and_never_reuses_a_name(qtbot, studio, monkeypatch):
    _win, panel = studio
    panel.latent.setValue(5)
    panel.start_from.setCurrentIndex(panel.start_from.findData("mnist-ae-2d"))
    assert panel.kind.currentData() == "ae" and panel.latent.value() == 2
    assert not panel.kind.isEnabled() and not panel.latent.isEnabled()
    assert "--from-model mnist-ae-2d" in panel.command.text()
    panel.epochs.setValue(1)
    panel.limit.setValue(128)
    run(qtbot, panel)
    model = vaedesk.load_model(panel.last_run_name)
    assert model.card["fine_tuned_from"]["name"] == "mnist-ae-2d" and model.kind == "ae"
    first = panel.last_run_name
    assert panel.run_name() != first  # the next automatic name is a new one
    panel.start_from.setCurrentIndex(0)
    assert panel.kind.isEnabled() and panel.latent.isEnabled()


@pytest.mark.slow
@pytest.mark.subprocess
def test_the_window_stays_usable_while_training(qtbot, studio, monkeypatch):
    win, panel = studio
    small_config(panel, monkeypatch)
    panel.epochs.setValue(3)
    with qtbot.waitSignal(panel.run_ended, timeout=RUN_TIMEOUT):
        panel.start()
        # Drawing still gets its posterior from the app's own model while training runs.
        with qtbot.waitSignal(win.posterior_changed, timeout=20_000):
            draw_strokes(qtbot, win.canvas, draw_digit(0, np.random.default_rng(1)))
        assert panel.is_running()
    assert torch.get_num_threads() >= 1


@pytest.mark.skipif(not FASHION_MNIST_DIR.is_dir(), reason="Debian's dataset-fashion-mnist is not installed")
def test_distorting_inputs_uses_the_shipped_recipe_and_draws_digits_only_for_mnist(studio):
    _win, panel = studio
    config = panel.config()
    assert (config.augment, config.elastic, config.sketches) == (0.4, 1.5, 0.1)
    panel.augment.setChecked(False)
    config = panel.config()
    assert (config.augment, config.elastic, config.sketches) == (0.0, 0.0, 0.0)
    panel.augment.setChecked(True)
    panel.set_data_folder(str(FASHION_MNIST_DIR))
    config = panel.config()
    assert config.sketches == 0.0 and config.augment == 0.4  # no digits drawn over clothes


@pytest.mark.slow
@pytest.mark.subprocess
@pytest.mark.skipif(not FASHION_MNIST_DIR.is_dir(), reason="Debian's dataset-fashion-mnist is not installed")
def test_a_fashion_mnist_model_is_trained_and_explored_on_its_own_test_set(qtbot, studio, monkeypatch):
    win, panel = studio
    small_config(panel, monkeypatch)
    panel.set_data_folder(str(FASHION_MNIST_DIR))
    assert panel.dataset.currentText() == "Fashion-MNIST"
    panel.epochs.setValue(1)
    run(qtbot, panel)
    assert panel.last_run_name.startswith("fashion-mnist-vae-2d")
    legend = [label.text for _sample, label in panel.plane.legend.items]
    assert legend == list(FASHION_CLASSES)
    # In the main window the model's test set is Fashion-MNIST's, with its class names.
    with qtbot.waitSignal(win.model_ready, timeout=60_000):
        win.switch_model(panel.last_run_name)
    assert [label.text for _sample, label in win.plane.legend.items] == list(FASHION_CLASSES)
    fashion_test = vaedesk.data.datasets.load_split("test", FASHION_MNIST_DIR)
    assert np.array_equal(win.model_info.scatter_labels, fashion_test.labels)


@pytest.mark.slow
@pytest.mark.subprocess
def test_closing_the_window_during_a_run_asks_and_keeps_the_last_epoch(qtbot, studio, monkeypatch):
    win, panel = studio
    start_a_long_run(qtbot, panel, monkeypatch)
    pid = panel.worker.pid()
    seen: list[str] = []
    answer_close_question("Cancel", seen)
    assert win.confirm_close() is False and panel.is_running()
    assert "still training" in seen[0]
    answer_close_question("Stop training and close", seen)
    assert win.confirm_close() is True
    win.close()  # stops the run and its process
    with pytest.raises(ProcessLookupError):  # no orphan trains on
        os.kill(pid, 0)
    assert vaedesk.load_model(panel.last_run_name).card["epochs"] >= 1
    # Stopped by closing the app (not cancelled), the run can be resumed at the next start.
    assert [run.name for run in panel.interrupted_runs()] == [panel.last_run_name]


@pytest.mark.slow
def test_a_doodle_model_is_shown_with_its_own_categories(qtbot, tmp_path):
    """Trained on Quick, Draw! doodles of three categories, a model opens with their legend."""
    from vaedesk.training.config import TrainConfig
    from vaedesk.training.loop import train

    from tests.test_data_formats import _doodles

    folder = tmp_path / "doodles"
    folder.mkdir()
    for kind, name in enumerate(["cat", "house", "tree"]):
        np.save(folder / f"{name}.npy", _doodles(kind, 140, seed=kind))
    model = train(TrainConfig(data_dir=str(folder), epochs=1, limit=100, batch_size=32, width=4, hidden=16))
    path = model.save(user_models_dir() / "doodles-vae-2d")
    win, _ = open_window(qtbot)
    with qtbot.waitSignal(win.model_ready, timeout=120_000):
        win.switch_model(str(path))
    assert win.model_info.class_names == ("cat", "house", "tree")
    assert [label.text for _sample, label in win.plane.legend.items] == ["cat", "house", "tree"]
    assert set(np.unique(win.model_info.scatter_labels)) == {0, 1, 2}
    win.close()


@pytest.mark.slow
@pytest.mark.subprocess
def test_a_doodle_folder_offers_its_categories_and_the_run_takes_those_named(qtbot, tmp_path, monkeypatch):
    """Twelve Quick, Draw! categories are more than a model learns: the studio asks for some."""
    from vaedesk.data.datasets import model_class_names

    from tests.test_data_formats import _doodles

    folder = tmp_path / "doodles"
    folder.mkdir()
    names = ["apple", "bird", "cat", "dog", "eye", "fish", "hat", "house", "key", "moon", "star", "tree"]
    for kind, name in enumerate(names):
        np.save(folder / f"{name}.npy", _doodles(kind % 3, 40, seed=kind))
    win, _ = open_window(qtbot)
    panel = win.open_training()
    categories = panel.findChild(type(panel.name), "train_categories")
    assert not categories.isEnabled()  # MNIST has no categories to choose
    panel.set_data_folder(str(folder))
    assert categories.isEnabled() and "cat" in categories.toolTip()
    assert "12 categories" in panel.status.text()
    assert not panel.start() and "at most 10" in panel.status.text()
    categories.setText("cat, wolf")
    assert not panel.start() and "no category 'wolf'" in panel.status.text()
    categories.setText("cat,,house")
    assert "Not a valid run yet" in panel.command.text()
    categories.setText("tree,cat,house")
    assert panel.config().category_list() == ["tree", "cat", "house"]
    assert "--categories tree,cat,house" in panel.command.text()
    small_config(panel, monkeypatch)
    panel.epochs.setValue(1)
    run(qtbot, panel)
    model = vaedesk.load_model(panel.last_run_name)
    assert model_class_names(model.card) == ("cat", "house", "tree")
    panel.set_data_folder(None)
    assert not categories.isEnabled() and panel.config().categories is None
    win.close()
