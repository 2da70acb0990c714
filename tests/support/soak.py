"""A soak driver for the real MainWindow: a long, seeded random mix of user actions.

``run_soak`` plays what a user does in a long session, through the same paths a user
takes: strokes drawn with real mouse events on the canvas, pointer moves over the plane,
left clicks that pin, right clicks on pins that remove them, the Undo / Redo / Clear /
Keep buttons, the Model menu, and GIF exports. Between blocks of actions it lets the app
settle and samples resident memory and the live threads, so a caller can tell a leak,
a hang or a thread left behind from normal work.

Used by tests/gui/test_soak.py (short, in CI) and benchmarks/soak.py (long).
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtWidgets import QMessageBox

from vaedesk.data.sketches import draw_digit
from vaedesk.data.strokes import preprocess_strokes
from vaedesk.gui.client import model_client
from vaedesk.gui.widgets.canvas import CANVAS_SIZE

from tests.support.gui_input import send_mouse

MODELS = ("mnist-vae-2d", "mnist-ae-2d", "mnist-vae-16d")
KINDS = ("stroke", "hover", "pin_add", "pin_remove", "clear_pins", "keep", "clear", "undo", "redo",
         "model_switch", "export")
# Relative weights of the randomly chosen actions; model switches and exports are spread
# evenly over the run instead (they are slow, and a short run must still do them).
WEIGHTS = {"stroke": 30, "hover": 16, "pin_add": 10, "pin_remove": 6, "clear_pins": 2, "keep": 4,
           "clear": 10, "undo": 12, "redo": 10}
MAX_PINS = 8  # a user with this many pins removes some rather than adding more
EXPORT_FRAMES = 16
LOAD_TIMEOUT_MS = 60_000
LEFT, RIGHT, NONE = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton, Qt.MouseButton.NoButton


class QtBotLike(Protocol):
    """What run_soak needs from pytest-qt's ``qtbot`` (benchmarks/soak.py has its own)."""

    def wait(self, ms: int) -> None: ...

    def waitUntil(self, callback: Any, *, timeout: int = ...) -> None: ...  # noqa: N802


@dataclass
class SoakReport:
    actions: int = 0
    counts: Counter = field(default_factory=Counter)
    memory: list[tuple[int, float]] = field(default_factory=list)  # (actions done, resident MB)
    warmup_actions: int = 0  # memory[0] is the start; the sample at this index is the baseline
    threads_start: int = 0  # Python threads (threading.enumerate)
    threads_end: int = 0
    model_processes_start: int = 0  # model processes running (one per window)
    model_processes_end: int = 0
    errors: list[str] = field(default_factory=list)  # messages the window showed as warnings/errors
    # What the window shows disagreeing with its state once it has settled, as "action index: what".
    inconsistencies: list[str] = field(default_factory=list)
    worker_failures: list[str] = field(default_factory=list)  # every failed request, shown or not
    exceptions: list[str] = field(default_factory=list)  # uncaught in Qt slots / event handlers
    exports: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def start_mb(self) -> float:
        return self.memory[0][1]

    @property
    def baseline_mb(self) -> float:
        """Resident memory right after the warm-up (every model loaded once, one export)."""
        return next(mb for index, mb in self.memory if index >= self.warmup_actions)

    def end_mb(self, last: int = 5) -> float:
        """The median of the last ``last`` samples (one sample is noisy)."""
        return float(np.median([mb for _, mb in self.memory[-last:]]))

    def growth(self, last: int = 5) -> float:
        """Relative growth of resident memory from the baseline to the end of the run."""
        return self.end_mb(last) / self.baseline_mb - 1.0

    def summary(self) -> dict[str, Any]:
        return {
            "actions": self.actions, "counts": dict(self.counts), "elapsed_s": round(self.elapsed_s, 1),
            "memory_mb": [[i, round(mb, 1)] for i, mb in self.memory], "warmup_actions": self.warmup_actions,
            "start_mb": round(self.start_mb, 1), "baseline_mb": round(self.baseline_mb, 1),
            "end_mb": round(self.end_mb(), 1), "growth_pct": round(100 * self.growth(), 2),
            "threads_start": self.threads_start, "threads_end": self.threads_end,
            "model_processes_start": self.model_processes_start, "model_processes_end": self.model_processes_end,
            "errors": self.errors, "worker_failures": self.worker_failures, "exceptions": self.exceptions,
            "inconsistencies": self.inconsistencies,
            "exports": len(self.exports),
        }


def resident_mb(pid: int | str = "self") -> float:
    """A process's resident set size, in MB (Linux: /proc/PID/statm); this one's by default."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        if pid != "self":
            return 0.0  # a process that has just ended
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # peak, not current


def _trim_heap() -> None:
    """Give freed heap pages back to the system (glibc), so resident memory tracks live data."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def running_model_processes() -> list:
    """The model processes this process has started that are still running."""
    return model_client.running_model_processes()


class _Driver:
    def __init__(self, window: Any, bot: QtBotLike, rng: np.random.Generator, report: SoakReport,
                 folder: Path) -> None:
        self.win, self.bot, self.rng, self.report, self.folder = window, bot, rng, report, folder
        self.ready: list[str] = []
        self.exported: list[str] = []
        self.size = window.size()

    # -- waiting --------------------------------------------------------------------------
    def settle(self) -> None:
        """Let the worker catch up: the shown posterior is the current drawing's, if any."""
        win = self.win
        self.bot.waitUntil(lambda: not win.canvas.is_drawing(), timeout=5_000)
        if win.canvas.is_empty():
            self.bot.wait(5)
            return

        def shown_is_current() -> bool:
            expected = preprocess_strokes(win.canvas.strokes(), win.canvas.model_pen_width())
            shown = win.last_encode
            return shown is not None and np.allclose(shown.input, expected, atol=1e-6)

        self.bot.waitUntil(shown_is_current, timeout=10_000)

    def close_messages(self) -> None:
        """Click OK on the message boxes the window opened."""
        for box in self.win.findChildren(QMessageBox):
            if box.isVisible():
                button = box.button(QMessageBox.StandardButton.Ok)
                if button is not None:
                    button.click()
                else:
                    box.close()
                self.report.counts["message_closed"] += 1

    # -- plane geometry -------------------------------------------------------------------
    def plane_pos(self, x: float, y: float) -> QPointF:
        plane = self.win.plane
        scene = plane.getPlotItem().getViewBox().mapViewToScene(QPointF(x, y))
        return QPointF(plane.mapFromScene(scene))

    def random_plane_point(self, margin: float = 0.15) -> tuple[float, float]:
        x0, x1, y0, y1 = self.win.plane.view_rect()
        u, v = self.rng.uniform(margin, 1 - margin, 2)
        return x0 + u * (x1 - x0), y0 + v * (y1 - y0)

    # -- actions --------------------------------------------------------------------------
    def stroke(self) -> None:
        """One to three strokes: a synthetic digit or a random scribble, many points each."""
        rng, canvas = self.rng, self.win.canvas
        if rng.random() < 0.6:
            strokes = draw_digit(int(rng.integers(10)), rng)
        else:
            strokes = []
            for _ in range(int(rng.integers(1, 4))):
                n = int(rng.integers(20, 120))
                steps = rng.normal(0, 6, (n, 2)).cumsum(axis=0)
                strokes.append(np.clip(rng.uniform(60, 220, 2) + steps, -10, CANVAS_SIZE + 10))
        for stroke in strokes:
            points = [canvas.from_canvas(float(x), float(y)) for x, y in stroke]
            send_mouse(canvas, QEvent.Type.MouseButtonPress, points[0], LEFT, LEFT)
            for k, pos in enumerate(points[1:], 1):
                send_mouse(canvas, QEvent.Type.MouseMove, pos, NONE, LEFT)
                if k % 12 == 0:
                    self.bot.wait(1)  # results and repaints come in while the pen moves
            send_mouse(canvas, QEvent.Type.MouseButtonRelease, points[-1], LEFT, NONE)
        if rng.random() < 0.3:
            self.settle()
        else:
            self.bot.wait(1)

    def hover(self) -> None:
        """The pointer wanders over the plane, and sometimes leaves it over an axis."""
        viewport = self.win.plane.viewport()
        (ax, ay), (bx, by) = self.random_plane_point(0.02), self.random_plane_point(0.02)
        n = int(self.rng.integers(8, 40))
        for k, t in enumerate(np.linspace(0, 1, n)):
            send_mouse(viewport, QEvent.Type.MouseMove, self.plane_pos(ax + t * (bx - ax), ay + t * (by - ay)),
                       NONE, NONE)
            if k % 8 == 7:
                self.bot.wait(1)
        if self.rng.random() < 0.3:
            send_mouse(viewport, QEvent.Type.MouseMove, QPointF(3, 3), NONE, NONE)  # the corner: off the plane
        self.bot.wait(1)

    def click_plane(self, pos: QPointF, button: Qt.MouseButton) -> None:
        viewport = self.win.plane.viewport()
        send_mouse(viewport, QEvent.Type.MouseMove, pos, NONE, NONE)
        send_mouse(viewport, QEvent.Type.MouseButtonPress, pos, button, button)
        send_mouse(viewport, QEvent.Type.MouseButtonRelease, pos, button, NONE)

    def pin_add(self) -> None:
        before = len(self.win.plane.pins())
        self.click_plane(self.plane_pos(*self.random_plane_point()), LEFT)
        self.bot.wait(1)
        if len(self.win.plane.pins()) > before:
            self.report.counts["pins_added"] += 1

    def pin_remove(self) -> bool:
        """Right-click a random pin, as a user removes one; False when there is none."""
        pins = self.win.plane.pins()
        if not pins:
            return False
        pin_id, xy = pins[int(self.rng.integers(len(pins)))]
        self.click_plane(self.plane_pos(*xy), RIGHT)
        # The plane removes it on the next turn of the event loop (outside the pin's handler).
        self.bot.waitUntil(lambda: len(self.win.plane.pins()) < len(pins), timeout=5_000)
        return True

    def clear_pins(self) -> None:
        self.win.window_actions.clear_pins.trigger()
        self.bot.wait(1)

    def keep(self) -> None:
        self.settle()  # Keep needs the drawing's posterior on screen
        self.win.keep_button.click()
        self.bot.wait(1)

    def clear(self) -> None:
        self.win.clear_button.click()
        self.bot.wait(1)

    def undo(self) -> None:
        self.win.undo_button.click()  # does nothing when disabled, like a real click
        self.bot.wait(1)

    def redo(self) -> None:
        self.win.redo_button.click()
        self.bot.wait(1)

    def model_switch(self, name: str | None = None) -> None:
        current = self.win.model_info.name
        if name is None:
            name = str(self.rng.choice([m for m in MODELS if m != current]))
        action = next(a for a in self.win.window_actions.models.actions() if a.data() == name)
        self.ready.clear()
        action.trigger()
        self.bot.waitUntil(lambda: name in self.ready, timeout=LOAD_TIMEOUT_MS)
        self.settle()

    def export(self) -> None:
        while len(self.win.workspace.morph_endpoints(self.win.model_key())) < 2:
            self.pin_add()
        self.settle()
        path = self.folder / f"soak-{len(self.report.exports) + 1}.gif"
        self.exported.clear()
        self.win.morph.export_to(path, "gif")
        self.bot.waitUntil(lambda: bool(self.exported) or bool(self.report.errors), timeout=60_000)
        assert self.exported == [str(path)], f"export of {path} gave {self.exported}, errors {self.report.errors}"
        with Image.open(path) as gif:
            assert gif.n_frames >= 2 and gif.size[0] > 0, f"{path}: {gif.n_frames} frames"
            gif.seek(gif.n_frames - 1)
            gif.load()
        self.report.exports.append(str(path))
        self.bot.wait(5)
        self.close_messages()
        path.unlink()  # a long run would otherwise fill the folder

    def do(self, kind: str) -> None:
        if kind == "pin_add" and len(self.win.plane.pins()) >= MAX_PINS:
            kind = "pin_remove"
        if kind == "pin_remove" and not self.pin_remove():
            kind = "pin_add"
            self.pin_add()
        elif kind != "pin_remove":
            getattr(self, kind)()
        self.report.counts[kind] += 1
        self.report.actions += 1

    def check(self) -> None:
        """Once the worker has caught up, what the window shows must match its state."""
        win, report = self.win, self.report

        def problems() -> list[str]:
            found = []
            if len(win.workspace.morph_endpoints(win.model_key())) < 2 and win.morph_panel.preview.image() is not None:
                found.append("a morph preview is shown with fewer than two endpoints")
            if win.pin_strip.count() != len(win.plane.pins()):
                found.append(f"{win.pin_strip.count()} pin images for {len(win.plane.pins())} pins")
            if win.gallery_strip.count() != len(win.workspace.gallery):
                found.append(f"{win.gallery_strip.count()} gallery tiles for {len(win.workspace.gallery)} drawings")
            if win.size() != self.size:
                found.append(f"the window changed size from {self.size.toTuple()} to {win.size().toTuple()}")
            return found

        # Results still on their way (pins, morph preview) arrive while the worker also
        # explains the drawing; a mismatch that outlasts them is a bug.
        deadline = time.monotonic() + 3.0
        while problems() and time.monotonic() < deadline:
            self.bot.wait(20)
        report.inconsistencies += [f"{report.actions}: {p}" for p in problems()]

    def sample(self) -> None:
        self.settle()
        self.close_messages()
        self.check()
        gc.collect()
        _trim_heap()
        # The window's process and the model's: a leak in either shows.
        model_pid = self.win.client.worker.pid()
        self.report.memory.append((self.report.actions, resident_mb() + (resident_mb(model_pid) if model_pid else 0.0)))


def _spread(count: int, start: int, stop: int) -> set[int]:
    """``count`` action indices spread evenly over [start, stop)."""
    if count <= 0 or stop <= start:
        return set()
    return {int(i) for i in np.linspace(start, stop, count + 2)[1:-1].round()}


def lasting_threads(bot: Any) -> int:
    """Python threads of the window's process: a leak is what stays (the model's helpers
    live in the model process)."""
    bot.wait(50)
    return threading.active_count()


def run_soak(window: Any, qtbot_like: QtBotLike, actions: int, seed: int, *, sample_every: int = 25,
             switches: int | None = None, exports: int | None = None,
             export_dir: str | os.PathLike | None = None) -> SoakReport:
    """Play ``actions`` seeded random user actions on a shown ``window`` whose model is ready.

    The first actions are a warm-up: one of each kind, every model in MODELS loaded once and
    one export, so that first-use allocations (caches, torch kernels, Qt pixmaps) are behind
    the baseline memory sample. Then random actions (weights in WEIGHTS) with ``switches``
    model switches and ``exports`` GIF exports spread evenly through them. Memory is sampled,
    after letting the app settle, every ``sample_every`` actions and at the end.
    """
    if window.model_info is None:
        raise ValueError("run_soak needs a window whose model is loaded")
    report = SoakReport()
    rng = np.random.default_rng(seed)
    own_dir = tempfile.TemporaryDirectory(prefix="vaedesk-soak-") if export_dir is None else None
    folder = Path(own_dir.name if own_dir else export_dir)
    driver = _Driver(window, qtbot_like, rng, report, folder)
    window.model_ready.connect(driver.ready.append)
    window.export_done.connect(driver.exported.append)
    window.error_shown.connect(report.errors.append)
    worker = window.client.worker
    on_failed = lambda channel, message: report.worker_failures.append(f"{channel}: {message}")  # noqa: E731
    worker.failed.connect(on_failed)
    previous_hook = sys.excepthook

    def hook(kind, value, tb) -> None:
        report.exceptions.append(f"{kind.__name__}: {value}")
        previous_hook(kind, value, tb)

    sys.excepthook = hook
    window.morph_panel.frames.setValue(EXPORT_FRAMES)
    report.threads_start = lasting_threads(qtbot_like)
    report.model_processes_start = len(running_model_processes())
    start = time.perf_counter()
    try:
        driver.sample()
        # Warm-up: one of each kind; every model once, ending on the one we started with.
        first = window.model_info.name
        for kind in ("stroke", "stroke", "hover", "pin_add", "pin_add", "keep", "undo", "redo", "pin_remove",
                     "pin_add", "export", "clear_pins", "clear"):
            driver.do(kind)
        for name in [m for m in MODELS if m != first] + [first]:
            driver.model_switch(name)
            report.counts["model_switch"] += 1
            report.actions += 1
        driver.do("stroke")
        report.warmup_actions = report.actions
        driver.sample()

        total = max(actions, report.actions)
        if switches is None:
            switches = max(1, (total - report.actions) // 300)
        if exports is None:
            exports = max(1, (total - report.actions) // 500)
        switch_at = _spread(switches, report.actions, total)
        export_at = {i + (i in switch_at) for i in _spread(exports, report.actions, total - 1)}
        kinds, weights = list(WEIGHTS), np.array(list(WEIGHTS.values()), float)
        while report.actions < total:
            index = report.actions
            if index in switch_at:
                driver.do("model_switch")
            elif index in export_at:
                driver.do("export")
            else:
                driver.do(str(rng.choice(kinds, p=weights / weights.sum())))
            if report.actions % sample_every == 0:
                driver.sample()
        if report.memory[-1][0] != report.actions:
            driver.sample()
    finally:
        report.elapsed_s = time.perf_counter() - start
        sys.excepthook = previous_hook
        window.model_ready.disconnect(driver.ready.append)
        window.export_done.disconnect(driver.exported.append)
        window.error_shown.disconnect(report.errors.append)
        worker.failed.disconnect(on_failed)
        if own_dir is not None:
            own_dir.cleanup()
    report.threads_end = lasting_threads(qtbot_like)
    report.model_processes_end = len(running_model_processes())
    return report
