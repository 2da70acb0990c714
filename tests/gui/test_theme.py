"""View → Theme, File → Export plane, and the user guide's shortcut table, through the real
window, menus and actions."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from PIL import Image
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QMenu

from vaedesk.gui import MainWindow
from vaedesk.gui.shortcuts import GUIDE, guide_table, shortcut_rows, shortcut_table, window_actions
from vaedesk.gui.theme import apply_theme
from vaedesk.support.palettes import contrast

from tests.support.windows import open_window

pytestmark = pytest.mark.usefixtures("default_reference")


@pytest.fixture(autouse=True)
def _system_theme_after():
    yield
    apply_theme("system")  # the next test's widgets start in the platform's look


def theme_action(win: MainWindow, name: str):
    """The View → Theme menu's entry for ``name``, found as a user finds it."""
    view = next(a.menu() for a in win.menuBar().actions() if a.text().replace("&", "") == "View")
    menu = view.findChild(QMenu, "menu_theme")
    assert menu is not None and menu.menuAction() in view.actions()
    return next(a for a in menu.actions() if a.data() == name)


def rgb(color) -> tuple[int, int, int]:
    return color.red(), color.green(), color.blue()


def plane_colours(win: MainWindow) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """The plane's background and its axis label's colour, as pyqtgraph draws them."""
    background = rgb(win.plane.backgroundBrush().color())
    label = QColor(win.plane.getPlotItem().getAxis("bottom").labelStyle["color"])
    return background, rgb(label)


def test_the_theme_menu_recolours_the_plane_and_the_text(qtbot, window):
    assert window.theme() == "system" and theme_action(window, "system").isChecked()
    theme_action(window, "dark").trigger()
    qtbot.wait(50)
    palette = QApplication.palette()
    assert window.theme() == "dark" and theme_action(window, "dark").isChecked()
    background, label = plane_colours(window)
    assert background == rgb(palette.color(QPalette.ColorRole.Base))
    assert label == rgb(palette.color(QPalette.ColorRole.Text))
    assert sum(background) < 3 * 60 and contrast(label, background) > 7  # light text on a dark plot
    caption = window.findChild(QLabel, "loss_kl_caption")  # a muted caption follows too
    assert contrast(rgb(caption.palette().color(caption.foregroundRole())),
                    rgb(caption.palette().color(QPalette.ColorRole.Window))) > 3
    theme_action(window, "light").trigger()
    qtbot.wait(50)
    background, label = plane_colours(window)
    assert background == rgb(QApplication.palette().color(QPalette.ColorRole.Base))
    assert sum(background) > 3 * 200 and contrast(label, background) > 7
    assert theme_action(window, "light").isChecked() and not theme_action(window, "dark").isChecked()


@pytest.mark.slow
def test_the_theme_is_remembered_by_the_next_window(qtbot):
    first, _ = open_window(qtbot)
    theme_action(first, "dark").trigger()
    first.close()
    apply_theme("system")  # as at a new start of the app
    second, _ = open_window(qtbot)
    try:
        assert second.theme() == "dark" and theme_action(second, "dark").isChecked()
        background, _ = plane_colours(second)
        assert background == rgb(QApplication.palette().color(QPalette.ColorRole.Base))
        assert sum(background) < 3 * 60
    finally:
        second.close()


def answer_save_dialog(monkeypatch, path, chosen_filter="PNG image (*.png)"):
    asked = []

    def dialog(parent, caption, directory, filters):
        asked.append(filters)
        return str(path), chosen_filter

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(dialog))
    return asked


def test_export_plane_as_png_and_svg(qtbot, window, tmp_path, monkeypatch):
    png = tmp_path / "plane.png"
    asked = answer_save_dialog(monkeypatch, png)
    window.window_actions.export_plane.trigger()
    assert "*.png" in asked[0] and "*.svg" in asked[0]
    with Image.open(png) as image:
        image.load()
        width, height = image.size
    assert abs(width - window.plane.width()) <= 2 and abs(height - window.plane.height()) <= 2
    svg = tmp_path / "plane.svg"
    answer_save_dialog(monkeypatch, svg, "PNG image (*.png)")  # the extension decides, not the filter
    window.window_actions.export_plane.trigger()
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.find(".//{http://www.w3.org/2000/svg}image") is not None  # the scatter
    named = tmp_path / "no-extension"
    answer_save_dialog(monkeypatch, named, "SVG drawing (*.svg)")
    window.window_actions.export_plane.trigger()
    assert (tmp_path / "no-extension.svg").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no-extension.svg", "plane.png", "plane.svg"]
    assert not window.open_messages()


def test_a_failed_export_is_one_message_and_loses_nothing(qtbot, window, tmp_path, monkeypatch):
    kept = tmp_path / "plane.jpg"
    kept.write_bytes(b"an older picture")
    answer_save_dialog(monkeypatch, kept)
    window.window_actions.export_plane.trigger()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    answer_save_dialog(monkeypatch, blocker / "plane.png")
    window.window_actions.export_plane.trigger()
    boxes = window.open_messages()
    assert [b.windowTitle() for b in boxes] == ["Cannot export the plane"] * 2
    assert ".png or .svg" in boxes[0].text() and "a-file" in boxes[1].text()
    assert kept.read_bytes() == b"an older picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "plane.jpg"]  # no temporaries left
    window.window_actions.export_plane.trigger()  # the app goes on working: the same failure is said once
    assert len(window.open_messages()) == 2


def test_the_user_guide_lists_every_shortcut_of_the_actions(window):
    table = shortcut_table(shortcut_rows(window_actions(window)))
    guide = guide_table(GUIDE.read_text(encoding="utf-8"))
    assert guide is not None, f"{GUIDE} lost its shortcut table's markers"
    assert guide == table, "the user guide's shortcut table is stale: run python -m vaedesk.gui.shortcuts --write"
    every = {key.toString() for action in window_actions(window) for key in action.shortcuts()}
    for key in ("Ctrl+Z", "Ctrl+Shift+Z", "Ctrl+M", "Space", "F2", "Alt+4"):
        assert key in every and f"`{key}`" in guide
