"""The Arithmetic tab: groups from the user's work and the test set, the attribute vector,
its arrow on the plane, α decoded live, and named attributes kept in the session."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QToolButton, QWidget

import vaedesk
from vaedesk.data.datasets import load_split
from vaedesk.data.sketches import draw_digit
from vaedesk.latent.attributes import Member
from vaedesk.state.session import load_session

from tests.support.gui_input import draw_strokes
from tests.support.windows import open_window, wait_for_final_posterior

pytestmark = pytest.mark.usefixtures("default_reference")


def add_from_menu(panel, group: str, *path: str) -> None:
    """Pick ``path`` (a submenu's title, then the entry) from the group's Add menu."""
    menu = panel.findChild(QToolButton, f"attributes_add_{group}").menu()
    menu.aboutToShow.emit()
    for title in path[:-1]:
        menu = next(a.menu() for a in menu.actions() if a.menu() is not None and a.text() == title)
    action = next(a for a in menu.actions() if a.text().startswith(path[-1]))
    action.trigger()


@pytest.mark.slow
def test_an_attribute_from_two_groups_moves_the_drawing_and_is_kept_in_the_session(qtbot):
    win, name = open_window(qtbot)
    model = vaedesk.load_model(name)
    panel = win.attribute_panel
    assert win.findChild(QWidget, "attributes") is panel
    win.show_arithmetic()
    assert not panel.compute_button.isEnabled() and not panel.alpha_slider.isEnabled()

    # Group A: every test 1; group B: the user's 7 and a pin.
    draw_strokes(qtbot, win.canvas, draw_digit(7, np.random.default_rng(7)))
    drawn = wait_for_final_posterior(qtbot, win)
    pin_id = win.add_pin(1.0, -0.5)
    add_from_menu(panel, "a", "Test digits labelled", "1")
    add_from_menu(panel, "b", "Your drawing")
    add_from_menu(panel, "b", "Pins", "Pin 1")
    assert [m.label for m in panel.members("a")] == ["test: all 1"]
    assert [m.label for m in panel.members("b")] == ["your drawing", "pin 1"]
    assert panel.compute_button.isEnabled()

    panel.compute_button.click()
    qtbot.waitUntil(lambda: panel.vector() is not None, timeout=20_000)
    test = load_split("test")
    ones = model.encode(test.images[test.labels == 1]).mean
    b = np.stack([model.encode(drawn.input[None]).mean[0], [1.0, -0.5]])
    vector = vaedesk.attribute_vector(model, ones, b)
    np.testing.assert_allclose(panel.vector(), vector, atol=1e-4)
    assert "From 1135 examples in A to 2 in B" in panel.readout.text()
    start, end = win.plane.attribute_arrow()  # a 2-d space is its own plane
    np.testing.assert_allclose(start, ones.mean(0), atol=1e-4)
    np.testing.assert_allclose(end, ones.mean(0) + vector, atol=1e-4)

    # α moves the selected pin (the last thing chosen) along the attribute, decoded live.
    panel.set_alpha(0.5)
    edited = np.array([1.0, -0.5]) + 0.5 * vector
    qtbot.waitUntil(lambda: panel.edited_view.image() is not None
                    and np.allclose(panel.edited_view.image(), model.decode(edited[None])[0], atol=1e-4),
                    timeout=10_000)
    assert "pin 1" in panel.target_label.text()
    np.testing.assert_allclose(win.plane.hover_marker.data["x"], [edited[0]], atol=1e-6)
    # Drawing again makes the drawing the subject.
    draw_strokes(qtbot, win.canvas, draw_digit(2, np.random.default_rng(2)))
    again = wait_for_final_posterior(qtbot, win)
    moved = again.posterior.mean[0] + 0.5 * vector
    qtbot.waitUntil(lambda: np.allclose(panel.edited_view.image(), model.decode(moved[None])[0], atol=1e-4),
                    timeout=10_000)
    assert "your drawing" in panel.target_label.text()

    # Leaving the tab hides the arrow; coming back shows it again.
    win.show_traversals()
    assert win.plane.attribute_arrow() is None
    win.show_arithmetic()
    assert win.plane.attribute_arrow() is not None

    # A name is needed; a named attribute is saved in the session.
    panel.name_edit.setText("   ")
    panel.save_button.click()
    assert any("attribute" in box.windowTitle() for box in win.open_messages())
    panel.name_edit.setText(" sevenish ")
    with qtbot.waitSignal(win.session_saved, timeout=5_000):
        panel.save_button.click()
    assert panel.saved_names() == ["sevenish"]
    (saved,) = load_session().attributes
    assert saved.name == "sevenish" and saved.model == win.model_key()
    assert saved.description == "A: test: all 1; B: your drawing, pin 1"
    np.testing.assert_allclose(saved.vector, vector, atol=1e-4)
    win.workspace.remove_pin(pin_id)
    win.close()

    # The next start restores it; choosing it shows it again; deleting forgets it.
    win, _ = open_window(qtbot)
    panel = win.attribute_panel
    win.show_arithmetic()
    assert panel.vector() is None and panel.saved_names() == ["sevenish"]
    panel.saved_combo.activated.emit(0)
    np.testing.assert_allclose(panel.vector(), vector, atol=1e-4)
    assert "sevenish" in panel.readout.text()
    np.testing.assert_allclose(win.plane.attribute_arrow()[1], ones.mean(0) + vector, atol=1e-3)
    panel.delete_button.click()
    assert panel.saved_names() == [] and win.workspace.attributes() == []
    win.close()


@pytest.mark.slow
def test_groups_are_cleared_when_another_model_is_shown(qtbot):
    win, name = open_window(qtbot)
    panel = win.attribute_panel
    win.show_arithmetic()
    add_from_menu(panel, "a", "Test digits labelled", "3")
    assert len(panel.members("a")) == 1
    # A group the model cannot use is one message; the app goes on.
    panel.add_member("b", Member("latents", np.zeros((1, 5)), "a 5-d point"))
    with qtbot.waitSignal(win.error_shown, timeout=10_000) as shown:
        panel.compute_button.click()
    assert "5-d point: has 5 latent dimensions, the model 2" in shown.args[0]
    assert panel.vector() is None
    with qtbot.waitSignal(win.model_ready, timeout=60_000):
        win.switch_model("mnist-ae-2d" if name != "mnist-ae-2d" else "mnist-vae-2d")
    assert panel.members("a") == [] and panel.vector() is None
    win.close()
