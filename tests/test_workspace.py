"""The Qt-free workspace: the user's drawing, gallery, pins and morph endpoints."""

import numpy as np
import pytest

from vaedesk.data.strokes import preprocess_strokes
from vaedesk.errors import DrawingError, LatentError, VaedeskError
from vaedesk.latent.attributes import MAX_ATTRIBUTES, Attribute
from vaedesk.state.session import MAX_GALLERY, Drawing, PinnedPoint, Session, load_session, save_session
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
    a, b, c = ws.add_pin("m", (0.0, 0.0)), ws.add_pin("m", (1.0, 1.0)), ws.add_pin("m", (2.0, -1.0))
    ws.add_endpoint(PinEndpoint(c))
    ws.add_endpoint(PinEndpoint(a))
    seen = _events(ws)
    ws.remove_pin(a)
    assert [p.id for p in ws.pins()] == [b, c] and ws.pin_number(c) == 2 and ws.pin_number(a) == 0
    assert ws.endpoints() == [PinEndpoint(c)] and seen == ["pins_changed", "endpoints_changed"]
    d = ws.add_pin("m", (3.0, 3.0))
    assert d == 4  # never reused
    ws.move_pin(c, (0.5, 0.25))
    assert ws.pin(c).latent == (0.5, 0.25) and ws.pin(c).model == "m"
    with pytest.raises(VaedeskError, match="within ±1000"):
        ws.add_pin("m", (1e308, 0.0))
    with pytest.raises(VaedeskError, match="2 latent dimensions, not 3"):
        ws.move_pin(c, (0.0, 0.0, 0.0))
    ws.clear_pins()
    assert ws.pins() == [] and ws.endpoints() == []


def test_the_morph_visits_the_chosen_endpoints_or_else_the_pins():
    ws = Workspace()
    ws.set_strokes(SEVEN, 2.5)
    ws.keep()
    p1, p2 = ws.add_pin("m", (-1.0, 0.0)), ws.add_pin("m", (1.0, 0.0))
    ws.add_pin("other", (5.0, 5.0, 5.0))  # another model's latent point means nothing to "m"
    assert ws.morph_endpoints("m") == [ResolvedEndpoint(latent=(-1.0, 0.0)), ResolvedEndpoint(latent=(1.0, 0.0))]
    ws.add_endpoint(GalleryEndpoint(0))
    ws.add_endpoint(PinEndpoint(p2))
    first, second = ws.morph_endpoints("m")
    assert first.drawing.pen_width == 2.5 and second == ResolvedEndpoint(latent=(1.0, 0.0))
    assert len(ws.morph_endpoints("other")) == 1  # the kept drawing: pin 2 is not the other model's
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
    ws.add_pin("mnist-vae-2d", (0.5, -0.5))
    ws.add_pin("mnist-vae-16d", np.linspace(-1, 1, 16))
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
    assert [p.model for p in again.pins()] == [p.model for p in ws.pins()]
    for pin, saved in zip(again.pins(), ws.pins(), strict=True):
        assert pin.latent == pytest.approx(saved.latent, abs=1e-5)  # kept to 1e-5 of the prior's σ
    assert again.drawing.pen_width == 3.0


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


def test_pins_are_latent_points_of_their_own_model_numbered_among_its_pins():
    ws = Workspace()
    a = ws.add_pin("two", (1.0, 2.0))
    b = ws.add_pin("sixteen", np.arange(16) / 10)
    c = ws.add_pin("two", (-3.0, 0.5))
    assert [p.id for p in ws.pins("two")] == [a, c] and [p.id for p in ws.pins("sixteen")] == [b]
    assert (ws.pin_number(a), ws.pin_number(b), ws.pin_number(c)) == (1, 1, 2)
    assert ws.pin(b).latent == pytest.approx(tuple(np.arange(16) / 10))
    with pytest.raises(VaedeskError, match="1 to 512 coordinates"):
        ws.add_pin("two", ())


def test_an_older_sessions_pins_are_the_sessions_models_points():
    ws = Workspace()
    ws.load_session(Session(pins=[PinnedPoint(None, (0.5, -0.5))], model="mnist-vae-2d"))
    assert [(p.model, p.latent) for p in ws.pins()] == [("mnist-vae-2d", (0.5, -0.5))]
    ws.load_session(Session(pins=[PinnedPoint(None, (0.5, -0.5))]))  # no model named: nothing to show it with
    assert ws.pins() == []
