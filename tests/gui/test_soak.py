"""A short soak of the real window: a few hundred seeded random user actions (tests/support/soak.py).

The long version is ``python benchmarks/soak.py --actions 5000``.
"""

from __future__ import annotations

import numpy as np
import pytest

from vaedesk.data.sketches import draw_digit

from tests.support.gui_input import draw_strokes
from tests.support.soak import KINDS, MODELS, run_soak
from tests.support.windows import open_window, wait_for_final_posterior

pytestmark = pytest.mark.usefixtures("default_reference")

ACTIONS = 400
MAX_GROWTH = 0.10


@pytest.mark.slow
def test_a_long_session_loses_nothing(qtbot, tmp_path, explanation_references):
    explanation_references(*MODELS)  # it switches between them: their references are no part of a soak
    window, _ = open_window(qtbot)
    try:
        report = run_soak(window, qtbot, actions=ACTIONS, seed=20240607, sample_every=20, export_dir=tmp_path)
        summary = report.summary()
        assert report.actions == ACTIONS
        for kind in KINDS:
            assert report.counts[kind] > 0, f"no {kind!r} actions: {summary['counts']}"
        assert report.counts["pins_added"] > 0 and len(report.exports) >= 2
        assert report.counts["model_switch"] >= 4  # the warm-up visits every model, then at least one more
        assert report.errors == [] and report.worker_failures == [] and report.exceptions == [], summary
        assert report.inconsistencies == [], summary
        assert report.threads_end == report.threads_start, summary
        assert report.model_processes_end == report.model_processes_start == 1, summary  # none left behind
        assert len(report.memory) >= ACTIONS // 20
        assert report.growth() < MAX_GROWTH, summary

        # The window still works: a new drawing gets its posterior.
        window.clear_drawing()
        draw_strokes(qtbot, window.canvas, draw_digit(3, np.random.default_rng(7)))
        result = wait_for_final_posterior(qtbot, window)
        assert result.generation == window.model_info.generation
        assert np.isfinite(result.mean_xy).all()
    finally:
        window.close()


def test_a_morph_preview_of_removed_pins_is_not_shown(qtbot):
    """Found by the soak: the preview already on its way arrived after the pins were gone."""
    window, _ = open_window(qtbot)
    try:
        window.add_pin(-1.0, 0.5)
        window.add_pin(1.0, -0.5)  # a morph preview of the two pins is now on its way
        window.workspace.clear_pins()
        qtbot.wait(300)
        assert window.morph_panel.preview.image() is None
    finally:
        window.close()


def test_a_growing_gallery_does_not_widen_the_window(qtbot):
    """Found by the soak: every kept drawing's tile added to the window's minimum width."""
    window, _ = open_window(qtbot)
    try:
        size = window.size()
        draw_strokes(qtbot, window.canvas, draw_digit(0, np.random.default_rng(1)))
        wait_for_final_posterior(qtbot, window)
        for _ in range(30):
            window.keep_button.click()
        qtbot.wait(50)
        assert window.gallery_strip.count() == 30
        assert window.size() == size and window.minimumSizeHint().width() <= size.width()
    finally:
        window.close()
