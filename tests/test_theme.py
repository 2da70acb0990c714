"""The themes' colour arithmetic (no Qt)."""

from __future__ import annotations

import pytest

from vaedesk.support import palettes as theme


def test_contrast_is_wcag_ratio():
    assert theme.contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert theme.contrast((120, 120, 120), (120, 120, 120)) == pytest.approx(1.0)


@pytest.mark.parametrize("name", ["light", "dark"])
def test_every_palette_reads(name):
    roles = theme.PALETTES[name]["active"]
    for text, paper in (("WindowText", "Window"), ("Text", "Base"), ("ButtonText", "Button"),
                        ("HighlightedText", "Highlight"), ("ToolTipText", "ToolTipBase")):
        assert theme.contrast(roles[text], roles[paper]) >= 4.5, (text, paper)
    assert theme.contrast(roles["PlaceholderText"], roles["Window"]) >= 3.0
    assert theme.is_dark(roles["Base"]) == (name == "dark")


def test_class_colours_stay_on_light_and_stand_out_on_dark():
    colors = ((0, 114, 178), (140, 86, 75), (230, 159, 0))
    assert theme.class_colors(colors, (255, 255, 255)) == colors
    dark = theme.PALETTES["dark"]["active"]["Base"]
    lifted = theme.class_colors(colors, dark)
    assert all(theme.contrast(c, dark) >= 3.0 for c in lifted)
    assert lifted[2] == colors[2]  # already readable: unchanged
    assert len(set(lifted)) == len(colors)  # still told apart


@pytest.mark.parametrize("name", ["light", "dark"])
def test_messages_read_on_either_window(name):
    window = theme.PALETTES[name]["active"]["Window"]
    for level in ("warning", "error"):
        assert theme.contrast(theme.severity_color(level, window), window) >= 4.5
    assert theme.severity_color("info", window) is None


def test_a_stored_setting_becomes_a_theme():
    assert theme.theme_name("Dark") == "dark"
    assert theme.theme_name(None) == theme.theme_name("purple") == theme.DEFAULT_THEME == "system"


def test_readable_stops_at_white():
    assert theme.readable((30, 30, 30), (28, 28, 28), 30.0) == (255, 255, 255)
