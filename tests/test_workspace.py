"""The Qt-free workspace: the user's drawing, gallery, pins and morph endpoints."""

import numpy as np
import pytest

from vaedesk.data.strokes import preprocess_strokes
from vaedesk.errors import DrawingError, LatentError, VaedeskError
from vaedesk.latent.attributes import MAX_ATTRIBUTES, Attribute
from vaedesk.state.session import MAX_GALLERY, Drawing, Session, load_session, save_session
from vaedesk.state.workspace import GalleryEndpoint, PinEndpoint, ResolvedEndpoint, Workspace, WorkspaceFull

SEVEN = [np.array([[40.0, 40.0], [200.0, 40.0], [90.0, 240.0]])]
ONE = [np.array([[140.0, 30.0], [140.0, 250.0]])]


def _events(ws: Workspace) -> list[str]:
    seen: list[str] = []
    for name in ("drawing_changed", "gallery_changed", "pins_changed", "endpoints_changed", "attributes_changed"):
        getattr(ws, name).connect(lambda name=name: seen.append(name))
    return seen


def test_drawing_keep_and_take_back():
    ws = Workspace()
    seen = _events(ws)
    with pytest.raises(VaedeskError, match="nothing to keep"):
        ws.keep()
    ws.set_strokes(SEVEN, 2.5)
    assert ws.keep() == 0 and seen == ["drawing_changed", "gallery_changed"]
    np.testing.assert_array_equal(ws.gallery_input(0), preprocess_strokes(SEVEN, 2.5))
    ws.set_strokes(ONE, 3.0)
    assert ws.take_from_gallery(0).pen_width == 2.5
    np.testing.assert_array_equal(ws.drawing.strokes[0], SEVEN[0])
    assert ws.drawing_count() == 2


def test_strokes_are_checked_against_the_shared_limits():
    ws = Workspace()
    with pytest.raises(DrawingError, match="out of range"):
        ws.set_strokes([np.array([[0.0, 2e6]])], 2.5)
    with pytest.raises(DrawingError, match="pen width"):
        ws.set_strokes(SEVEN, 1e9)
    assert ws.drawing.is_empty()


def test_an_imported_picture_stays_until_the_user_draws():
    ws = Workspace()
    picture = preprocess_strokes(ONE)
    ws.set_image(picture)
    ws.set_strokes([], 2.5)  # e.g. the canvas cleared for the picture
    assert ws.drawing.image is not None
    ws.set_strokes(SEVEN, 2.5)
    assert ws.drawing.image is None and ws.drawing.strokes
    ws.set_image(picture)
    assert ws.keep() == 0
    np.testing.assert_array_equal(ws.gallery_input(0), picture)  # kept as imported, never re-processed
    ws.clear()
    assert ws.drawing.is_empty()


def test_the_gallery_refuses_what_the_session_could_not_hold(monkeypatch):
    import vaedesk.state.workspace as workspace

    monkeypatch.setattr(workspace, "MAX_GALLERY", 2)
    ws = Workspace()
    ws.set_strokes(SEVEN, 2.5)
    ws.keep()
    ws.keep()
    with pytest.raises(WorkspaceFull, match="at most 2 drawings"):
        ws.keep()
    assert len(ws.gallery) == 2


def test_pins_have_lasting_ids_and_take_their_endpoints_with_them():
    ws = Workspace()
    a, b, c = ws.add_pin(0.0, 0.0), ws.add_pin(1.0, 1.0), ws.add_pin(2.0, -1.0)
    ws.add_endpoint(PinEndpoint(c))
    ws.add_endpoint(PinEndpoint(a))
    seen = _events(ws)
    ws.remove_pin(a)
    assert [p.id for p in ws.pins()] == [b, c] and ws.pin_number(c) == 2 and ws.pin_number(a) == 0
    assert ws.endpoints() == [PinEndpoint(c)] and seen == ["pins_changed", "endpoints_changed"]
    d = ws.add_pin(3.0, 3.0)
    assert d == 4  # never reused
    ws.move_pin(c, 0.5, 0.25)
    assert ws.pin(c).xy == (0.5, 0.25)
    with pytest.raises(VaedeskError, match="within ±1000"):
        ws.add_pin(1e308, 0.0)
    ws.clear_pins()
    assert ws.pins() == [] and ws.endpoints() == []


def test_the_morph_visits_the_chosen_endpoints_or_else_the_pins():
    ws = Workspace()
    ws.set_strokes(SEVEN, 2.5)
    ws.keep()
    p1, p2 = ws.add_pin(-1.0, 0.0), ws.add_pin(1.0, 0.0)
    assert ws.morph_endpoints() == [ResolvedEndpoint(xy=(-1.0, 0.0)), ResolvedEndpoint(xy=(1.0, 0.0))]
    ws.add_endpoint(GalleryEndpoint(0))
    ws.add_endpoint(PinEndpoint(p2))
    first, second = ws.morph_endpoints()
    assert first.drawing.pen_width == 2.5 and second == ResolvedEndpoint(xy=(1.0, 0.0))
    assert [ws.endpoint_label(e) for e in ws.endpoints()] == ["Drawing #1", "Pin 2"]
    ws.set_endpoints([PinEndpoint(p2), GalleryEndpoint(0), PinEndpoint(99)])  # reordered; unknown dropped
    assert ws.endpoints() == [PinEndpoint(p2), GalleryEndpoint(0)]
    with pytest.raises(VaedeskError):
        ws.add_endpoint(GalleryEndpoint(5))
    assert p1


def test_a_session_round_trip_keeps_everything(tmp_path):
    ws = Workspace()
    ws.set_strokes(SEVEN, 2.5)
    ws.keep()
    ws.set_image(preprocess_strokes(ONE))
    ws.keep()
    ws.set_strokes(ONE, 3.0)
    ws.add_pin(0.5, -0.5)
    ws.save_attribute(Attribute("bold", "mnist-vae-2d", [0.0, 1.0], [0.5, 0.5]))
    path = save_session(ws.to_session("mnist-vae-2d"), tmp_path / "session.json")
    again = Workspace()
    seen = _events(again)
    again.load_session(load_session(path))
    assert set(seen) == {"drawing_changed", "gallery_changed", "pins_changed", "endpoints_changed",
                         "attributes_changed"}
    assert [a.name for a in again.attributes("mnist-vae-2d")] == ["bold"]
    assert len(again.gallery) == 2 and again.gallery[1].image is not None
    np.testing.assert_allclose(again.gallery_input(0), ws.gallery_input(0), atol=1e-6)
    np.testing.assert_allclose(again.gallery_input(1), ws.gallery_input(1), atol=1e-4)
    assert [p.xy for p in again.pins()] == [(0.5, -0.5)] and again.drawing.pen_width == 3.0


def test_loading_an_empty_session():
    ws = Workspace()
    ws.load_session(Session())
    assert ws.drawing_count() == 0 and ws.to_session().gallery == [] and MAX_GALLERY == 500
    assert Drawing().is_empty()


def test_named_attributes_belong_to_their_model_and_replace_by_name():
    ws = Workspace()
    seen = _events(ws)
    ws.save_attribute(Attribute(" slant ", "m2", [0.0, 0.0], [1.0, 0.0]))
    ws.save_attribute(Attribute("bold", "m2", [0.0, 0.0], [0.0, 1.0]))
    ws.save_attribute(Attribute("slant", "m16", [0.0] * 16, [1.0] * 16))
    ws.save_attribute(Attribute("slant", "m2", [1.0, 1.0], [2.0, 2.0]))  # replaces m2's slant in place
    assert seen == ["attributes_changed"] * 4
    assert [a.name for a in ws.attributes("m2")] == ["slant", "bold"]
    np.testing.assert_allclose(ws.attributes("m2")[0].vector, [2.0, 2.0])
    assert [a.model for a in ws.attributes()] == ["m2", "m2", "m16"]
    assert ws.attributes("m16", latent_dim=2) == []
    ws.remove_attribute("slant", "m2")
    assert [a.name for a in ws.attributes("m2")] == ["bold"] and len(ws.attributes()) == 2
    with pytest.raises(LatentError, match="no attribute named 'slant' for model m2"):
        ws.remove_attribute("slant", "m2")
    with pytest.raises(LatentError, match="name"):
        ws.save_attribute(Attribute("", "m2", [0.0], [1.0]))
    for i in range(MAX_ATTRIBUTES - 2):
        ws.save_attribute(Attribute(f"a{i}", "m2", [0.0], [1.0]))
    with pytest.raises(WorkspaceFull, match=f"at most {MAX_ATTRIBUTES} attributes"):
        ws.save_attribute(Attribute("one more", "m2", [0.0], [1.0]))
    ws.save_attribute(Attribute("a0", "m2", [0.0], [3.0]))  # replacing is still allowed when full


def test_pins_stay_on_their_latent_points_across_a_change_of_view():
    from vaedesk.latent.views import LinearView
    from vaedesk.support.limits import LATENT_LIMIT

    # Two views of a 3-d latent space: dimensions (1, 2) and dimensions (2, 3), around the origin.
    first = LinearView("dims", [[1, 0, 0], [0, 1, 0]], np.zeros(3), np.eye(3), ("z1", "z2"), shown_dims=(0, 1))
    second = LinearView("dims", [[0, 1, 0], [0, 0, 1]], np.zeros(3), np.eye(3), ("z2", "z3"), shown_dims=(1, 2))
    ws = Workspace()
    a, b = ws.add_pin(1.0, 2.0), ws.add_pin(-3.0, 0.5)
    seen = _events(ws)
    ws.move_pins_to_view(first, second)
    # z = (1, 2, 0) shows at (2, 0) in the second view, z = (-3, 0.5, 0) at (0.5, 0).
    assert ws.pin(a).xy == pytest.approx((2.0, 0.0)) and ws.pin(b).xy == pytest.approx((0.5, 0.0))
    assert seen == ["pins_changed"]
    assert [pin.id for pin in ws.pins()] == [a, b]  # same pins, same order: endpoints still name them

    # A view that would put a pin off the plane leaves that pin where it was; the others move.
    c = ws.add_pin(0.0, 3.0)  # z = (0, 0, 3)
    far = LinearView("far", [[1, 0, 0], [0, 10 * LATENT_LIMIT, 0]], np.zeros(3), np.eye(3), ("z1", "far"))
    ws.move_pins_to_view(second, far)
    assert ws.pin(a).xy == pytest.approx((2.0, 0.0))  # z = (0, 2, 0) would land at y = 20 × the limit
    assert ws.pin(c).xy == pytest.approx((0.0, 0.0))

    empty = Workspace()
    quiet = _events(empty)
    empty.move_pins_to_view(first, second)
    assert quiet == []  # no pins, nothing to say
