"""The user's state in the app: the current drawing, the gallery, pins and morph endpoints.

No Qt here. The window observes a :class:`Workspace` through its events (as napari's
window observes its ``ViewerModel``) and changes it only through its methods, so every
rule about the user's work (limits, what a removed pin takes with it, what a morph visits)
lives in one place and is tested headless. The workspace is what the session saves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vaedesk.data.strokes import check_drawing, preprocess_strokes
from vaedesk.errors import LatentError, VaedeskError
from vaedesk.latent.attributes import MAX_ATTRIBUTES, Attribute, check_attribute
from vaedesk.state.session import MAX_GALLERY, MAX_PINS, MAX_SESSION_POINTS, Drawing, PinnedPoint, Session
from vaedesk.support.limits import LATENT_DIM_LIMIT, LATENT_LIMIT


class WorkspaceFull(VaedeskError):
    """Keeping or pinning more would break a limit the session file must keep."""


class Event:
    """A list of callbacks; ``emit`` calls each in the order connected."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[..., Any]] = []

    def connect(self, callback: Callable[..., Any]) -> None:
        self._callbacks.append(callback)

    def disconnect(self, callback: Callable[..., Any]) -> None:
        """Stop calling ``callback`` (a listener that goes away before the workspace)."""
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        for callback in list(self._callbacks):
            callback(*args)


@dataclass(frozen=True)
class Pin:
    """A pinned latent point of a model; ``id`` stays the pin's for its life and is never
    reused. Where it sits on the plane depends on the view, so it is not kept: a pin never
    moves when the view or the model changes, and is shown only with its own model."""

    id: int
    model: str
    latent: tuple[float, ...]


@dataclass(frozen=True)
class PinEndpoint:
    """A morph endpoint at a pin (it follows the pin when dragged)."""

    pin_id: int


@dataclass(frozen=True)
class GalleryEndpoint:
    """A morph endpoint at a kept drawing: its posterior mean."""

    index: int


Endpoint = PinEndpoint | GalleryEndpoint


@dataclass(frozen=True)
class ResolvedEndpoint:
    """What the model needs for one endpoint: a latent point, or a drawing to encode."""

    latent: tuple[float, ...] | None = None
    drawing: Drawing | None = None


class Workspace:
    """The current drawing, the gallery (with each drawing's 28x28 model input), pins and
    the morph's chosen endpoints. Events fire after each change:

    - ``drawing_changed()``: the current drawing (strokes or imported picture);
    - ``gallery_changed()``: a drawing was kept, or the gallery replaced;
    - ``pins_changed()``: a pin added, moved or removed;
    - ``endpoints_changed()``: the morph's endpoints (also when a pin they named is removed);
    - ``attributes_changed()``: a named attribute saved or removed.
    """

    def __init__(self) -> None:
        self.drawing_changed = Event()
        self.gallery_changed = Event()
        self.pins_changed = Event()
        self.endpoints_changed = Event()
        self.attributes_changed = Event()
        self._drawing = Drawing()
        self._gallery: list[Drawing] = []
        self._inputs: list[np.ndarray] = []
        self._pins: dict[int, Pin] = {}
        self._next_pin_id = 1
        self._endpoints: list[Endpoint] = []
        self._attributes: list[Attribute] = []

    # ------------------------------------------------------------------ current drawing
    @property
    def drawing(self) -> Drawing:
        return self._drawing

    def set_strokes(self, strokes: Sequence[Any], pen_width: float | None) -> None:
        """The drawing's strokes (from the canvas). Drawing replaces an imported picture;
        an empty drawing leaves one in place. Raises DrawingError beyond the limits."""
        parts, _ = check_drawing(strokes, pen_width, allow_empty=True)
        if not parts and self._drawing.image is not None:
            return
        self._drawing = Drawing(parts, pen_width)
        self.drawing_changed.emit()

    def set_image(self, model_input: np.ndarray) -> None:
        """An imported picture, as its 28x28 model input (made once, on import)."""
        self._drawing = Drawing([], None, _model_input(model_input))
        self.drawing_changed.emit()

    def clear(self) -> None:
        self._drawing = Drawing()
        self.drawing_changed.emit()

    # ------------------------------------------------------------------ gallery
    @property
    def gallery(self) -> list[Drawing]:
        return list(self._gallery)

    def gallery_input(self, index: int) -> np.ndarray:
        """The 28x28 model input of kept drawing ``index``."""
        return self._inputs[index]

    def gallery_inputs(self) -> list[np.ndarray]:
        return list(self._inputs)

    def keep(self, model_input: np.ndarray | None = None) -> int:
        """Keep the current drawing in the gallery; returns its index. ``model_input`` is
        its 28x28 model input when already at hand. VaedeskError when there is nothing to
        keep, WorkspaceFull when the session could not hold it."""
        drawing = self._drawing
        if drawing.is_empty():
            raise VaedeskError("nothing to keep: draw a digit first")
        # The kept copy and the drawing still on the canvas both count.
        points = self.point_count() + drawing.point_count()
        if len(self._gallery) >= MAX_GALLERY or points > MAX_SESSION_POINTS:
            raise WorkspaceFull(f"the gallery holds at most {MAX_GALLERY} drawings and {MAX_SESSION_POINTS:,} "
                                "points in all: save drawings to files to keep more")
        if model_input is None:
            model_input = drawing.image if drawing.image is not None else preprocess_strokes(
                drawing.strokes, drawing.pen_width)
        self._gallery.append(drawing)
        self._inputs.append(_model_input(model_input))
        self.gallery_changed.emit()
        return len(self._gallery) - 1

    def take_from_gallery(self, index: int) -> Drawing:
        """Make kept drawing ``index`` the current drawing again (the gallery keeps it)."""
        self._drawing = self._gallery[index]
        self.drawing_changed.emit()
        return self._drawing

    # ------------------------------------------------------------------ pins
    def pins(self, model: str | None = None) -> list[Pin]:
        """The pins in the order added, which is the order a morph visits them; with
        ``model``, only that model's."""
        return [pin for pin in self._pins.values() if model is None or pin.model == model]

    def pin(self, pin_id: int) -> Pin | None:
        return self._pins.get(pin_id)

    def pin_number(self, pin_id: int) -> int:
        """The pin's 1-based number among its model's pins, as shown on the plane; 0 for an unknown id."""
        pin = self._pins.get(pin_id)
        if pin is None:
            return 0
        return next(n for n, other in enumerate(self.pins(pin.model), start=1) if other.id == pin_id)

    def add_pin(self, model: str, latent: Any) -> int:
        """Pin a latent point of ``model``; returns the pin's id."""
        if len(self._pins) >= MAX_PINS:
            raise WorkspaceFull(f"at most {MAX_PINS} pins: remove some first")
        pin_id = self._next_pin_id
        self._next_pin_id += 1
        self._pins[pin_id] = Pin(pin_id, str(model), _latent_point(latent))
        self.pins_changed.emit()
        return pin_id

    def move_pin(self, pin_id: int, latent: Any) -> None:
        """Move a pin to another latent point of its model (dragged on the plane)."""
        pin = self._pins.get(pin_id)
        if pin is not None:
            point = _latent_point(latent)
            if len(point) != len(pin.latent):
                raise VaedeskError(f"pin {pin_id} has {len(pin.latent)} latent dimensions, not {len(point)}")
            self._pins[pin_id] = Pin(pin_id, pin.model, point)
            self.pins_changed.emit()

    def remove_pin(self, pin_id: int) -> None:
        """Remove a pin, and the morph endpoints at it; unknown ids are ignored."""
        if self._pins.pop(pin_id, None) is None:
            return
        self._after_pins_removed(lambda e: e == PinEndpoint(pin_id))

    def clear_pins(self) -> None:
        if not self._pins:
            return
        self._pins.clear()
        self._after_pins_removed(lambda e: isinstance(e, PinEndpoint))

    def _after_pins_removed(self, gone: Callable[[Endpoint], bool]) -> None:
        # Endpoints at removed pins go first, so no listener ever sees one without its pin.
        kept = [e for e in self._endpoints if not gone(e)]
        dropped, self._endpoints = len(kept) != len(self._endpoints), kept
        self.pins_changed.emit()
        if dropped:
            self.endpoints_changed.emit()

    # ------------------------------------------------------------------ morph endpoints
    def endpoints(self) -> list[Endpoint]:
        """The endpoints the user chose, in order (empty: the morph visits the pins)."""
        return list(self._endpoints)

    def add_endpoint(self, endpoint: Endpoint) -> None:
        if isinstance(endpoint, PinEndpoint) and endpoint.pin_id not in self._pins:
            raise VaedeskError(f"no pin with id {endpoint.pin_id}")
        if isinstance(endpoint, GalleryEndpoint) and not 0 <= endpoint.index < len(self._gallery):
            raise VaedeskError(f"no kept drawing #{endpoint.index + 1}")
        self._endpoints.append(endpoint)
        self.endpoints_changed.emit()

    def set_endpoints(self, endpoints: Sequence[Endpoint]) -> None:
        """Replace the chosen endpoints (e.g. reordered); ones that name nothing are dropped."""
        self._endpoints = [e for e in endpoints if self._exists(e)]
        self.endpoints_changed.emit()

    def endpoint_label(self, endpoint: Endpoint) -> str:
        if isinstance(endpoint, PinEndpoint):
            return f"Pin {self.pin_number(endpoint.pin_id)}"
        return f"Drawing #{endpoint.index + 1}"

    def morph_endpoints(self, model: str | None = None) -> list[ResolvedEndpoint]:
        """What the morph visits: the chosen endpoints, or with none chosen the pins in order;
        with ``model``, only that model's pins (another model's latent points mean nothing to it)."""
        chosen = self._endpoints or [PinEndpoint(pin.id) for pin in self.pins(model)]
        resolved = []
        for endpoint in chosen:
            if isinstance(endpoint, PinEndpoint):
                pin = self._pins[endpoint.pin_id]
                if model is None or pin.model == model:
                    resolved.append(ResolvedEndpoint(latent=pin.latent))
            else:
                resolved.append(ResolvedEndpoint(drawing=self._resolved_gallery(endpoint.index)))
        return resolved

    def _resolved_gallery(self, index: int) -> Drawing:
        drawing = self._gallery[index]
        # A morph encodes exactly what the gallery shows: the kept model input.
        return Drawing(drawing.strokes, drawing.pen_width, self._inputs[index] if drawing.image is not None else None)

    def _exists(self, endpoint: Endpoint) -> bool:
        if isinstance(endpoint, PinEndpoint):
            return endpoint.pin_id in self._pins
        return 0 <= endpoint.index < len(self._gallery)

    # ------------------------------------------------------------------ named attributes
    def attributes(self, model: str | None = None, latent_dim: int | None = None) -> list[Attribute]:
        """Saved attributes in the order saved; with ``model``, only those of that model
        (and of ``latent_dim`` dimensions)."""
        if model is None:
            return list(self._attributes)
        return [a for a in self._attributes if a.model == model and (latent_dim is None or len(a.vector) == latent_dim)]

    def save_attribute(self, attribute: Attribute) -> None:
        """Keep a named attribute; one of the same name and model is replaced. Raises
        LatentError for a bad name or vector, WorkspaceFull over the session's limit."""
        attribute = check_attribute(attribute)
        same = [i for i, a in enumerate(self._attributes) if (a.name, a.model) == (attribute.name, attribute.model)]
        if same:
            self._attributes[same[0]] = attribute
        elif len(self._attributes) >= MAX_ATTRIBUTES:
            raise WorkspaceFull(f"a session keeps at most {MAX_ATTRIBUTES} attributes; delete one first")
        else:
            self._attributes.append(attribute)
        self.attributes_changed.emit()

    def remove_attribute(self, name: str, model: str) -> None:
        before = len(self._attributes)
        self._attributes = [a for a in self._attributes if (a.name, a.model) != (name, model)]
        if len(self._attributes) == before:
            raise LatentError(f"no attribute named {name!r} for model {model}")
        self.attributes_changed.emit()

    # ------------------------------------------------------------------ the session
    def point_count(self) -> int:
        return self._drawing.point_count() + sum(d.point_count() for d in self._gallery)

    def drawing_count(self) -> int:
        """Drawings a close would lose without the session: the gallery and the current one."""
        return len(self._gallery) + (not self._drawing.is_empty())

    def to_session(self, model: str | None = None) -> Session:
        pins = [PinnedPoint(pin.model, pin.latent) for pin in self._pins.values()]
        return Session(self._drawing, list(self._gallery), pins, model, attributes=list(self._attributes))

    def load_session(self, session: Session) -> None:
        """Replace everything with a (checked) session's drawing, gallery, pins and attributes."""
        inputs = [d.image if d.image is not None else preprocess_strokes(d.strokes, d.pen_width)
                  for d in session.gallery]
        self._gallery, self._inputs = list(session.gallery), [_model_input(x) for x in inputs]
        self._pins = {}
        for pinned in session.pins:
            model = pinned.model if pinned.model is not None else session.model
            if model is None:  # an older file's pin with no model named: nothing to show it with
                continue
            self._pins[self._next_pin_id] = Pin(self._next_pin_id, model, _latent_point(pinned.latent))
            self._next_pin_id += 1
        self._drawing = session.drawing
        self._endpoints = []
        self._attributes = list(session.attributes)
        for event in (self.gallery_changed, self.pins_changed, self.endpoints_changed, self.attributes_changed,
                      self.drawing_changed):
            event.emit()


def _model_input(image: Any) -> np.ndarray:
    array = np.array(image, dtype=np.float32)  # a copy: the workspace's own
    if array.shape != (28, 28) or not np.isfinite(array).all():
        raise VaedeskError(f"a model input must be a finite 28x28 image, got shape {array.shape}")
    array.setflags(write=False)
    return array


def _latent_point(latent: Any) -> tuple[float, ...]:
    point = np.asarray(latent, np.float64).reshape(-1)
    if not 1 <= len(point) <= LATENT_DIM_LIMIT:
        raise VaedeskError(f"a latent point has 1 to {LATENT_DIM_LIMIT} coordinates, got {len(point)}")
    if not np.isfinite(point).all() or np.abs(point).max() > LATENT_LIMIT:
        raise VaedeskError(f"a latent point must lie within ±{LATENT_LIMIT:g}")
    return tuple(float(v) for v in point)
