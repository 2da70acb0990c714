"""vaedesk's benchmark suite: speed and memory on this machine, against the targets.

    python benchmarks/run.py            # everything (about 15 minutes on 2 cores)
    python benchmarks/run.py --quick    # skip the training comparison (about 7 minutes)
    python benchmarks/run.py --part views     # only the views of the 16-d latent space (JSON)
    python benchmarks/run.py --part training  # only the training recipes' comparison (JSON)

Prints a table, writes benchmarks/results.json and regenerates the table in docs/performance.md
(between REPORT_BEGIN and REPORT_END). The GUI part
runs the real MainWindow offscreen in a child process (so its peak memory is its own) and
drives it with mouse events at 120 Hz. Targets live here, never in the tests.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# name -> (target, unit); every target is an upper bound.
TARGETS = {
    "stroke_to_posterior_p95_ms": (8.0, "ms"),
    "release_to_final_posterior_p95_ms": (16.0, "ms"),
    "gui_block_drawing_ms": (16.0, "ms"),
    "gui_block_hover_ms": (16.0, "ms"),
    "gui_block_export_ms": (33.0, "ms"),
    "gui_block_model_switch_ms": (33.0, "ms"),
    "gui_block_training_ms": (16.0, "ms"),  # training runs in a child process
    "hover_decode_p95_ms": (8.0, "ms"),
    "manifold_32x32_ms": (50.0, "ms"),
    "scatter_10k_ms": (300.0, "ms"),
    "encode_1_overhead_ratio": (1.5, "x"),
    "cold_start_window_s": (1.0, "s"),
    "cold_start_ready_s": (2.5, "s"),
    "gif_96_frames_280px_s": (1.0, "s"),
    "peak_memory_mb": (450.0, "MB"),
    # While drawing, the explanation runs between encodes; the importance-weighted estimate on
    # pen release.
    "explain_median_ms": (50.0, "ms"),
    "iwae_256_median_ms": (50.0, "ms"),
    # The neighbourhood view of mnist-vae-16d (read from the file shipped beside it: no fit).
    "view_neighbors_fit_s": (60.0, "s"),
    "view_neighbors_place_one_ms": (20.0, "ms"),
    # vaedesk's recipe reaches the pytorch/examples recipe's final -ELBO in half its time.
    "train_time_ratio": (0.5, "x"),
}
# The report: the table in docs/performance.md between these markers is rewritten by each full run.
REPORT = ROOT / "docs" / "performance.md"
REPORT_BEGIN = "<!-- benchmarks: made by `python benchmarks/run.py` -->"
REPORT_END = "<!-- end of benchmarks -->"
# name -> lower bound: measurements of quality, where more is better.
FLOORS = {
    "view_neighbors_plane_knn5": 0.90,
    "view_neighbors_roundtrip_keeps_class": 0.85,
}


def stats(samples: list[float]) -> dict[str, float]:
    a = np.asarray(samples, dtype=float)
    return {"median": float(np.median(a)), "p95": float(np.percentile(a, 95)), "n": int(a.size)}


def timed(fn, repeats: int) -> list[float]:
    fn()  # warm up
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


# ---------------------------------------------------------------------------------- library
def bench_library() -> dict[str, float]:
    import torch

    import vaedesk
    from vaedesk.data.datasets import load_split
    from vaedesk.export import save_gif
    from vaedesk.latent.geometry import grid, tile
    from vaedesk.model.encodings import cached_means

    model = vaedesk.load_model()
    test = load_split("test")
    results: dict[str, float] = {}
    for n, repeats in ((1, 300), (64, 100), (1000, 20)):
        x = test.images[:n]
        z = model.encode(x).mean
        enc = stats(timed(lambda x=x: model.encode(x), repeats))
        dec = stats(timed(lambda z=z: model.decode(z), repeats))
        results[f"encode_{n}_median_ms"] = enc["median"]
        results[f"decode_{n}_median_ms"] = dec["median"]
    x1 = torch.from_numpy(test.images[:1].copy())

    def bare() -> None:
        with torch.no_grad():
            model.net.encoder(x1)

    bare_ms = stats(timed(bare, 300))["median"]
    results["bare_forward_1_median_ms"] = bare_ms
    results["encode_1_overhead_ratio"] = results["encode_1_median_ms"] / bare_ms
    # The app encodes the test set once per model and then reads the means from its cache.
    results["scatter_10k_encode_ms"] = stats(timed(lambda: model.encode(test.images), 5))["median"]
    with tempfile.TemporaryDirectory() as folder:
        results["scatter_10k_ms"] = stats(timed(lambda: cached_means(model, test.images, Path(folder)), 20))["median"]
    xy = grid((-3, 3), (-3, 3), 32)  # the default model is 2-d: plane = latent space

    def manifold() -> None:
        tile(model.decode(xy), 32)

    results["manifold_32x32_ms"] = stats(timed(manifold, 20))["median"]
    frames = model.decode(np.linspace(-2, 2, 96)[:, None] * np.ones((1, model.latent_dim)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.gif"
        results["gif_96_frames_280px_s"] = stats(timed(lambda: save_gif(frames, path, size=280), 5))["median"] / 1000
        results["gif_96_frames_280px_kb"] = path.stat().st_size / 1024
    # explain(): the app asks for the fast part (64 samples, no IWAE) as the user draws and
    # for the IWAE with 256 samples when the pen lifts; its reference is built once per model.
    from vaedesk.insight.explanation import explain, model_reference

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        reference = model_reference(model, folder=Path(folder))
        results["model_reference_cold_s"] = time.perf_counter() - start
    inputs = iter(np.resize(test.images[:50], (1000, 28, 28)))
    results["explain_median_ms"] = stats(timed(
        lambda: explain(model, next(inputs), samples=64, iwae_samples=0, reference=reference), 50))["median"]
    results["iwae_256_median_ms"] = stats(timed(
        lambda: explain(model, next(inputs), samples=64, iwae_samples=256, reference=reference), 20))["median"]
    # The lens' 5x5 decodings and the aggregate posterior's density over the training means.
    from vaedesk.latent.geometry import density

    lens_points = np.random.default_rng(0).normal(size=(25, 2)).astype(np.float32)
    results["lens_grid_25_median_ms"] = stats(timed(lambda: tile(model.decode(lens_points), 5), 50))["median"]
    train_xy = reference.train_means[:, :2]
    results["density_60k_ms"] = stats(timed(lambda: density(train_xy, (-4, 4, -4, 4), bins=160), 5))["median"]
    model16 = vaedesk.load_model("mnist-vae-16d")
    with tempfile.TemporaryDirectory() as folder:
        reference16 = model_reference(model16, folder=Path(folder))
        results["explain_16d_median_ms"] = stats(timed(
            lambda: explain(model16, next(inputs), samples=64, iwae_samples=0, reference=reference16), 50))["median"]
    return results


# -------------------------------------------------------------------------------------- GUI
def bench_gui() -> dict[str, float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("VAEDESK_HOME", tempfile.mkdtemp(prefix="vaedesk-bench-"))
    from PySide6.QtCore import QElapsedTimer, QEvent, QEventLoop, QPointF, Qt, QTimer
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from vaedesk.data.sketches import synthetic_drawings
    from vaedesk.gui import MainWindow
    from vaedesk.service.protocol import Channel

    _app = QApplication.instance() or QApplication([])

    # The app's own event loop runs throughout, as for a real user: it sleeps between
    # events instead of spinning (a busy loop here would compete with the window's own work
    # and the model process for the CPU, and measure the benchmark instead of the app).
    def play(steps, period: float) -> None:
        """Run ``steps`` (callables) one per ``period`` seconds inside the event loop."""
        loop, timer = QEventLoop(), QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.setSingleShot(True)
        start, done = time.perf_counter(), [0]

        def tick() -> None:
            steps[done[0]]()
            done[0] += 1
            if done[0] == len(steps):
                loop.quit()
                return
            timer.start(max(0, round((start + done[0] * period - time.perf_counter()) * 1000)))

        timer.timeout.connect(tick)
        timer.start(0)
        loop.exec()

    def wait_for(condition, timeout: float = 60.0) -> None:
        if condition():
            return
        loop, timer, end = QEventLoop(), QTimer(), time.perf_counter() + timeout
        timer.setInterval(1)
        timer.timeout.connect(lambda: (condition() or time.perf_counter() > end) and loop.quit())
        timer.start()
        loop.exec()
        timer.stop()
        if not condition():
            raise TimeoutError

    def idle(seconds: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(round(seconds * 1000), loop.quit)
        loop.exec()

    class Heartbeat:
        """The gaps between ticks of a 1 ms timer: how long the GUI thread was blocked.

        ``longest`` is what a target bounds; a run's maximum is one frame that may have waited
        for a core, so ``p99`` and ``over_16`` (blocks longer than a 60 Hz frame) show how
        often the window stalls."""

        def __init__(self) -> None:
            self.timer = QTimer()
            self.timer.setInterval(1)
            self.timer.timeout.connect(self._tick)
            self.clock = QElapsedTimer()

        def _tick(self) -> None:
            now = self.clock.nsecsElapsed() / 1e6
            self.gaps.append(now - self.last)
            self.longest = max(self.longest, now - self.last)
            self.last = now

        @property
        def p99(self) -> float:
            return float(np.percentile(self.gaps, 99))

        @property
        def over_16(self) -> int:
            return sum(gap > 16.0 for gap in self.gaps)

        def __enter__(self):
            self.longest, self.last, self.gaps = 0.0, 0.0, []
            self.clock.start()
            self.timer.start()
            return self

        def __exit__(self, *exc) -> None:
            self.timer.stop()

    def send(widget, kind, pos, button, buttons) -> None:
        event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, event)

    win = MainWindow(model="mnist-vae-2d")
    references: list[int] = []
    win.client.worker.reference_ready.connect(references.append)
    win.resize(1400, 900)
    start = time.perf_counter()
    win.show()
    wait_for(lambda: win.model_info is not None)
    # Drawing is measured in the steady state: once the explanations' reference exists (built
    # in the model process on a model's first load on a machine, then read from the cache).
    wait_for(lambda: bool(references), 600)
    results_first: dict[str, float] = {"gui_reference_first_build_s": time.perf_counter() - start}
    shown: list[tuple[int, float]] = []
    win.posterior_changed.connect(lambda _p: shown.append((win.last_encode.request_id, time.perf_counter())))
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    period = 1 / 120
    drawings, _ = synthetic_drawings(3, seed=11)
    # Everything but sending events and waiting is done outside the heartbeat, which
    # measures the app, not the benchmark's bookkeeping.
    strokes_points = [[[win.canvas.from_canvas(float(x), float(y)) for x, y in stroke] for stroke in strokes]
                      for strokes in drawings]
    moves: list[tuple[int, float]] = []  # (newest request id when sent, time sent)
    releases: list[tuple[int, float]] = []

    def move(pos) -> None:
        t = time.perf_counter()
        send(win.canvas, QEvent.Type.MouseMove, pos, none, left)
        moves.append((win.latest_encode_id, t))

    def release(pos) -> None:
        t = time.perf_counter()
        send(win.canvas, QEvent.Type.MouseButtonRelease, pos, left, none)
        releases.append((win.latest_encode_id, t))

    with Heartbeat() as beat:
        for drawing in strokes_points:
            win.clear_drawing()
            for points in drawing:
                steps = [lambda pos=points[0]: send(win.canvas, QEvent.Type.MouseButtonPress, pos, left, left)]
                steps += [lambda pos=pos: move(pos) for pos in points[1:]]
                play(steps + [lambda pos=points[-1]: release(pos)], period)
                final_id = releases[-1][0]
                wait_for(lambda final_id=final_id: shown and shown[-1][0] >= final_id)

    def latencies(sent: list[tuple[int, float]]) -> list[float]:
        """Time from each event to the first shown posterior that includes it."""
        ids = [rid for rid, _ in shown]
        return [(shown[bisect.bisect_left(ids, rid)][1] - t) * 1000 for rid, t in sent]

    move_latency, release_latency = latencies(moves), latencies(releases)
    results = {
        **results_first,
        "stroke_to_posterior_median_ms": stats(move_latency)["median"],
        "stroke_to_posterior_p95_ms": stats(move_latency)["p95"],
        "release_to_final_posterior_p95_ms": stats(release_latency)["p95"],
        "gui_block_drawing_ms": beat.longest,
        "gui_block_drawing_p99_ms": beat.p99,
        "gui_blocks_over_16ms_drawing": beat.over_16,
        "stroke_events": len(move_latency),
    }

    # Hover: pointer moves over the plane at 120 Hz; latency until the preview shows them.
    plane, viewport = win.plane, win.plane.viewport()
    plane.setRange(xRange=(-3, 3), yRange=(-3, 3), padding=0)
    idle(0.2)
    hover_ids: list[int] = []
    original_hover = win.client.hover
    win.client.hover = lambda x, y: hover_ids.append(original_hover(x, y)) or hover_ids[-1]
    previews: list[tuple[int, float]] = []
    # The hover results the window shows: the client delivers only those still wanted.
    win.client.decoded.connect(lambda r: previews.append((r.request_id, time.perf_counter()))
                               if r.channel is Channel.HOVER else None)
    hover_sent: list[tuple[int, float]] = []
    view_box = plane.getPlotItem().getViewBox()

    def hover(k: int) -> None:
        angle = 2 * np.pi * k / 240
        pos = QPointF(plane.mapFromScene(view_box.mapViewToScene(QPointF(2 * np.cos(angle), 2 * np.sin(angle)))))
        before, t = len(hover_ids), time.perf_counter()
        send(viewport, QEvent.Type.MouseMove, pos, none, none)
        if len(hover_ids) > before:
            hover_sent.append((hover_ids[-1], t))

    with Heartbeat() as beat:
        play([lambda k=k: hover(k) for k in range(240)], period)
        last = hover_sent[-1][0]
        wait_for(lambda: previews and previews[-1][0] >= last, 5)
    preview_ids = [rid for rid, _ in previews]
    hover_latency = [(previews[bisect.bisect_left(preview_ids, rid)][1] - t) * 1000 for rid, t in hover_sent]
    results["hover_decode_p95_ms"] = stats(hover_latency)["p95"]
    results["gui_block_hover_ms"] = beat.longest

    # Export: 96 frames at 280 px from two pins, while the GUI thread keeps ticking.
    win.add_pin(-1.5, 0.5)
    win.add_pin(1.5, -0.5)
    win.morph_panel.frames.setValue(96)
    done: list[str] = []
    win.export_done.connect(done.append)
    with tempfile.TemporaryDirectory() as folder, Heartbeat() as beat:
        start = time.perf_counter()
        win.morph.export_to(Path(folder) / "m.gif", "gif")
        wait_for(lambda: bool(done))
        results["gui_export_96_s"] = time.perf_counter() - start
    results["gui_block_export_ms"] = beat.longest
    for box in win.open_messages():
        box.close()

    ready: list[str] = []
    win.model_ready.connect(ready.append)
    with Heartbeat() as beat:
        win.switch_model("mnist-ae-2d")
        wait_for(lambda: bool(ready))
        idle(0.2)
    results["gui_block_model_switch_ms"] = beat.longest
    # Peak memory of the drawing session (drawing, hovering, exporting, switching models).
    window_mb, model_mb = peak_memory_mb(win)
    results["peak_memory_mb"] = window_mb + model_mb
    results["peak_memory_window_mb"], results["peak_memory_model_process_mb"] = window_mb, model_mb

    # Training studio: a run trains in its own process while the user draws in the window.
    panel = win.open_training()
    panel.limit.setValue(4000)
    panel.epochs.setValue(2)
    ended: list[str] = []
    panel.run_ended.connect(ended.append)
    snapshots: list[object] = []
    panel.worker.snapshot.connect(snapshots.append)
    panel.start()
    wait_for(lambda: bool(snapshots))  # past start-up: data loaded, first plane shown
    with Heartbeat() as beat:
        for points in strokes_points[0]:
            steps = [lambda pos=points[0]: send(win.canvas, QEvent.Type.MouseButtonPress, pos, left, left)]
            steps += [lambda pos=pos: move(pos) for pos in points[1:]]
            play(steps + [lambda pos=points[-1]: release(pos)], period)
        play([lambda k=k: hover(k) for k in range(120)], period)
        wait_for(lambda: bool(ended), 300)
    results["gui_block_training_ms"] = beat.longest
    results["gui_block_training_p99_ms"] = beat.p99
    results["gui_blocks_over_16ms_training"] = beat.over_16
    results["peak_memory_with_training_mb"] = sum(peak_memory_mb(win))
    win.close()
    return results


def peak_memory_mb(win) -> tuple[float, float]:
    """The peaks of the window's process and of its model process (their sum bounds what they
    held at once).

    Each from the kernel's high-water mark of the process' own memory (VmHWM): ru_maxrss of a
    process started by this suite's main process would include that process' peak, which the
    kernel carries across the fork and exec (476 MB for a window that held 150)."""

    def high_water_mb(pid: int | str) -> float | None:
        try:
            with open(f"/proc/{pid}/status") as status:
                return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
        except (OSError, StopIteration):
            return None

    window = high_water_mb("self")
    if window is None:  # no /proc: the rusage peak, an upper bound
        window = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pid = win.client.worker.pid()
    model = high_water_mb(pid) if pid is not None else None
    return window, model or 0.0


def bench_cold_start(runs: int = 3) -> dict[str, float]:
    shown, ready = [], []
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "VAEDESK_HOME": tempfile.mkdtemp(prefix="vaedesk-bench-")}
    for _ in range(runs):
        env["VAEDESK_LAUNCH_TIME"] = repr(time.time())
        out = subprocess.run([sys.executable, "-m", "vaedesk"], env=env, capture_output=True, text=True,
                             timeout=120, cwd=ROOT).stdout
        values = dict(line.rsplit(" ", 1) for line in out.splitlines() if line.startswith(("window", "model")))
        shown.append(float(values["window shown"]))
        ready.append(float(values["model ready"]))
    return {"cold_start_window_s": float(np.median(shown)), "cold_start_ready_s": float(np.median(ready))}


# --------------------------------------------------------------------------------- training
def bench_training(reference_epochs: int = 30) -> dict[str, float]:
    """The training speed measure, in one run: the pytorch/examples VAE recipe (a 784-400-2 MLP,
    Adam 1e-3, batch 128) trained for ``reference_epochs``, its final test -ELBO, and the
    time vaedesk's recipe (``RECIPE``: its convolutional VAE through ``vaedesk.training.loop.train``)
    takes to reach that -ELBO. Times are training time: test evaluations are not counted."""
    import torch
    from torch import nn

    import vaedesk.training.loop as training
    from vaedesk.data.datasets import load_split
    from vaedesk.model.nets import loss_terms

    class ExamplesVAE(nn.Module):  # the recipe of github.com/pytorch/examples/tree/main/vae, 2-d latent
        def __init__(self) -> None:
            super().__init__()
            self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 2), nn.Linear(400, 2)
            self.fc3, self.fc4 = nn.Linear(2, 400), nn.Linear(400, 784)

        def forward(self, x):
            h = torch.relu(self.fc1(x.reshape(-1, 784)))
            mean, logvar = self.fc21(h), self.fc22(h)
            z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)
            return self.fc4(torch.relu(self.fc3(z))).view(-1, 28, 28), mean, logvar

    train = torch.from_numpy(load_split("train").images)
    test = torch.from_numpy(load_split("test").images)
    torch.manual_seed(0)
    net = ExamplesVAE()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    reference_seconds = 0.0
    for _epoch in range(reference_epochs):
        start = time.perf_counter()
        for batch in torch.randperm(len(train)).split(128):
            xb = train[batch]
            logits, mean, logvar = net(xb)
            recon, kl = loss_terms(logits, xb, mean, logvar)
            opt.zero_grad()
            (recon + kl).mean().backward()
            opt.step()
        reference_seconds += time.perf_counter() - start
    target = training.evaluate_loss(net, test)["neg_elbo"]

    # vaedesk's recipe, stopped at the first epoch whose test -ELBO reaches the target.
    evaluating = {"seconds": 0.0}
    original = training.evaluate_loss

    def timed_evaluation(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            evaluating["seconds"] += time.perf_counter() - start

    reached = {"at": float("nan"), "neg_elbo": float("nan")}
    started = time.perf_counter()

    def on_progress(report) -> None:
        if report.epoch_done and report.test["neg_elbo"] <= target and reached["at"] != reached["at"]:
            reached["at"] = time.perf_counter() - started - evaluating["seconds"]
            reached["neg_elbo"] = report.test["neg_elbo"]

    training.evaluate_loss = timed_evaluation
    try:
        training.train(training.TrainConfig(**RECIPE), on_progress=on_progress,
                       should_stop=lambda: reached["at"] == reached["at"])
    finally:
        training.evaluate_loss = original
    return {
        "train_reference_neg_elbo": target,
        "train_reference_s": reference_seconds,
        "train_vaedesk_s_to_reference": reached["at"],
        "train_time_ratio": reached["at"] / reference_seconds,
    }


# vaedesk's recipe for a quick 2-D model: its convolutional VAE at a quarter of the shipped
# width (a 2-D latent, not the network, bounds the quality), a short cosine schedule, no
# distortions: vaedesk train --width 16 --hidden 256 --batch-size 256 --lr 4e-3 --epochs 6 --no-augment
RECIPE = dict(kind="vae", latent_dim=2, width=16, hidden=256, batch_size=256, lr=4e-3, epochs=6, augment=0.0,
              seed=0)


def bench_processes(limit: int = 12_000) -> dict[str, float]:
    """Training throughput on this machine with one process and with two (torchrun,
    DistributedDataParallel over gloo), each process on one thread: one epoch of ``limit``
    images, timed by the run's own card (its train_seconds include one test evaluation)."""
    results = {}
    argv = ["train", "--limit", str(limit), "--epochs", "1", "--threads", "1", "--seed", "0"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory() as folder:
        for processes in (1, 2):
            out = Path(folder) / f"p{processes}"
            launcher = ([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
                         str(processes)] if processes > 1 else [sys.executable])
            subprocess.run([*launcher, "-m", "vaedesk", *argv, "--out", str(out)], check=True, cwd=ROOT, env=env,
                           capture_output=True)
            card = json.loads(out.with_suffix(".json").read_text())
            results[f"train_images_per_s_{processes}_process{'es' if processes > 1 else ''}"] = (
                limit / card["train_seconds"])
    return results


# ------------------------------------------------------------------------------------ report
# ---------------------------------------------------------------------------------- views
def bench_views(model_name: str = "mnist-vae-16d", roundtrip_digits: int = 1000) -> dict[str, float]:
    """Each view of a latent space above 2-D: how well the test digits' classes survive on
    the plane (5-NN of their means there, against the training means), whether a plane point
    maps back to a latent that decodes to the same class (decode to_latent(to_plane(mean)),
    re-encode, 5-NN in the full space), and the time to fit (cold) and to place one drawing."""
    import torch

    torch.set_num_threads(2)
    os.environ["VAEDESK_CACHE"] = tempfile.mkdtemp(prefix="vaedesk-bench-views-")  # a cold fit
    import vaedesk
    from vaedesk.insight.evaluation import knn_accuracy
    from vaedesk.latent.views import fit_view
    from vaedesk.model.encodings import cached_means

    model = vaedesk.load_model(model_name)
    train, test = vaedesk.load_split("train", as_uint8=True), vaedesk.load_split("test")
    train_means = cached_means(model, train.images)  # encoded before the clock starts
    test_means = model.encode(test.images).mean
    every = np.linspace(0, len(test_means) - 1, roundtrip_digits).astype(int)
    results: dict[str, float] = {}
    for kind in ("pca", "lda", "dims", "neighbors"):
        start = time.perf_counter()
        view = fit_view(model, kind)
        fit_s = time.perf_counter() - start
        plane_knn = knn_accuracy(view.to_plane(train_means), train.labels, view.to_plane(test_means), test.labels)
        back = view.to_latent(view.to_plane(test_means[every]))
        again = model.encode(model.decode(back)).mean
        keeps = knn_accuracy(train_means, train.labels, again, test.labels[every])
        place = stats(timed(lambda v=view: v.to_plane(test_means[0]), 50))["median"]
        results.update({f"view_{kind}_plane_knn5": round(plane_knn, 4),
                        f"view_{kind}_roundtrip_keeps_class": round(keeps, 4),
                        f"view_{kind}_fit_s": round(fit_s, 2), f"view_{kind}_place_one_ms": round(place, 3)})
    return results


def machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}"


def write_report(results: dict[str, float], description: str) -> str:
    lines = ["| measurement | value | target | met |", "|---|---|---|---|"]
    for key, value in results.items():
        target, floor = TARGETS.get(key), FLOORS.get(key)
        shown = f"{value:.3g}" if isinstance(value, float) else str(value)
        if target:
            met = "yes" if value <= target[0] else "**no**"
            lines.append(f"| {key} | {shown} | ≤ {target[0]:g} {target[1]} | {met} |")
        elif floor:
            met = "yes" if value >= floor else "**no**"
            lines.append(f"| {key} | {shown} | ≥ {floor:g} | {met} |")
        else:
            lines.append(f"| {key} | {shown} | | |")
    table = "\n".join(lines)
    text = REPORT.read_text(encoding="utf-8")
    start, end = text.find(REPORT_BEGIN), text.find(REPORT_END)
    if start < 0 or end < start:
        raise RuntimeError(f"{REPORT} has no {REPORT_BEGIN!r} … {REPORT_END!r} section")
    generated = (f"Measured on: {description}. Medians unless a name says p95; GUI numbers from the real "
                 f"window offscreen, mouse events at 120 Hz.\n\n{table}")
    REPORT.write_text(text[:start + len(REPORT_BEGIN)] + "\n\n" + generated + "\n\n" + text[end:], encoding="utf-8")
    return table


def _in_own_process(part: str) -> dict[str, float]:
    """Run ``--part PART`` in a process of its own (its own Qt application, its own cold cache)."""
    run = subprocess.run([sys.executable, __file__, "--part", part], capture_output=True, text=True, cwd=ROOT)
    if run.returncode != 0:
        raise RuntimeError(run.stderr[-3000:])
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the training comparison")
    parser.add_argument("--part", choices=["gui", "views", "training"],
                        help="run one part alone and print its JSON (results.json is not written)")
    args = parser.parse_args()
    if args.part == "gui":
        print(json.dumps(bench_gui()))
        return 0
    if args.part == "views":  # its own process: a cold cache of its own
        print(json.dumps(bench_views()))
        return 0
    if args.part == "training":
        print(json.dumps(bench_training()))
        return 0
    results: dict[str, float] = {}
    results.update(bench_library())
    try:
        results.update(_in_own_process("gui"))
        results.update(bench_cold_start())
        results.update(_in_own_process("views"))
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    results.update(bench_processes())
    if not args.quick:
        results.update(bench_training())
    description = machine()
    (ROOT / "benchmarks" / "results.json").write_text(
        json.dumps({"machine": description, "results": results}, indent=2) + "\n", encoding="utf-8")
    print(f"{description}\n\n{write_report(results, description)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
