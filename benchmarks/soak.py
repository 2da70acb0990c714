"""The long soak of the real window: thousands of seeded random user actions, offscreen.

    python benchmarks/soak.py --actions 5000          # about 3-4 minutes per 1000 actions on 2 cores

Drives the MainWindow with tests/support/soak.py's run_soak (real mouse events on the canvas
and the plane, pins, undo/redo, the gallery, model switches, GIF exports), prints the
resident-memory curve and a verdict, and writes benchmarks/soak.json. Exits 1 when the
verdict is a failure: an error shown, a worker failure, an uncaught exception, the window
disagreeing with its state, a thread left behind, or memory growth after the warm-up of
``--max-growth`` or more. tests/gui/test_soak.py runs the short version in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class EventLoopBot:
    """pytest-qt's ``wait`` and ``waitUntil``, outside pytest: the app's event loop runs meanwhile."""

    def wait(self, ms: int) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop, timer = QEventLoop(), QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        timer.start(max(0, int(ms)))
        loop.exec()

    def waitUntil(self, callback, *, timeout: int = 5_000) -> None:  # noqa: N802 (pytest-qt's name)
        def met() -> bool:
            try:
                result = callback()
            except AssertionError:
                return False
            return result is None or bool(result)

        end = time.perf_counter() + timeout / 1000
        while not met():
            if time.perf_counter() > end:
                raise TimeoutError(f"condition not met in {timeout} ms: {callback}")
            self.wait(2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sample-every", type=int, default=50, help="actions between memory samples")
    parser.add_argument("--max-growth", type=float, default=0.10, help="allowed memory growth after warm-up")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "soak.json")
    args = parser.parse_args()

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = tempfile.TemporaryDirectory(prefix="vaedesk-soak-home-")
    os.environ["VAEDESK_HOME"] = home.name  # never the user's settings, models or caches
    import numpy as np
    from PySide6.QtWidgets import QApplication

    from vaedesk.data.sketches import draw_digit
    from vaedesk.gui import MainWindow

    from tests.support.gui_input import draw_strokes
    from tests.support.soak import resident_mb, run_soak, running_model_processes

    _app = QApplication.instance() or QApplication([])
    bot = EventLoopBot()
    window = MainWindow(model="mnist-vae-2d")
    window.resize(1300, 820)
    window.show()
    bot.waitUntil(lambda: window.model_info is not None, timeout=60_000)

    report = run_soak(window, bot, args.actions, args.seed, sample_every=args.sample_every)
    summary = report.summary()

    # Still working: a new drawing gets its posterior.
    window.clear_drawing()
    before = window.latest_encode_id
    draw_strokes(bot, window.canvas, draw_digit(3, np.random.default_rng(args.seed)))
    bot.waitUntil(lambda: window.last_encode is not None and window.last_encode.request_id > before, timeout=10_000)
    summary["works_after"] = bool(np.isfinite(window.last_encode.mean_xy).all())
    window.close()
    bot.wait(50)
    summary["model_processes_after_close"] = len(running_model_processes())
    summary["resident_mb_after_close"] = round(resident_mb(), 1)

    print(f"{'action':>7} {'MB':>7}")
    for index, mb in report.memory:
        mark = "  <- after warm-up (baseline)" if index == report.warmup_actions else ""
        print(f"{index:>7} {mb:>7.1f}{mark}")
    print(f"counts: {summary['counts']}")
    print(f"threads: python {report.threads_start} -> {report.threads_end}, model processes "
          f"{report.model_processes_start} -> {report.model_processes_end} "
          f"({summary['model_processes_after_close']} after close)")
    problems = []
    if report.growth() >= args.max_growth:
        problems.append(f"memory grew {100 * report.growth():.1f}% after warm-up")
    for name in ("errors", "worker_failures", "exceptions", "inconsistencies"):
        if summary[name]:
            problems.append(f"{len(summary[name])} {name.replace('_', ' ')}: {summary[name][:3]}")
    if report.threads_end != report.threads_start or report.model_processes_end != report.model_processes_start:
        problems.append("threads or processes left behind")
    if summary["model_processes_after_close"] or not summary["works_after"]:
        problems.append("the window did not keep working or did not stop its model process")
    summary["verdict"] = "FAIL: " + "; ".join(problems) if problems else "PASS"
    print(f"{summary['verdict']} — {report.actions} actions in {report.elapsed_s:.0f} s; memory "
          f"{report.start_mb:.0f} MB at start, {report.baseline_mb:.0f} MB after warm-up, "
          f"{report.end_mb():.0f} MB at the end ({100 * report.growth():+.1f}%)")
    args.out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    home.cleanup()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
