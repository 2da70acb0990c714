"""The user's session: current drawing, gallery and pins, autosaved so that nothing is lost.

The window writes the session a moment after every change and when it closes; the next
start restores it, also after the process was killed. The file is JSON written atomically
(a crash never leaves half a file). Writer and reader share one set of limits, so a file
the app wrote is always one it reads back, and every drawing is checked exactly as a drawn
one is (:func:`vaedesk.data.strokes.check_drawing`). Reading is strict but local: a drawing
or pin that cannot be used is dropped alone and named in :attr:`Session.problems`; a file
that cannot be read at all raises :class:`SessionError`, and the window sets it aside
(never deleting it). No Qt here: the window only converts to and from :class:`Session`.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vaedesk.data.mnist_frame import FIELD_SIZE
from vaedesk.data.strokes import check_drawing
from vaedesk.errors import DrawingError, LatentError, VaedeskError, one_line
from vaedesk.latent.attributes import MAX_ATTRIBUTES, Attribute, check_attribute
from vaedesk.support.atomic import atomic_path, write_new
from vaedesk.support.limits import LATENT_DIM_LIMIT, LATENT_LIMIT
from vaedesk.support.paths import user_data_dir
from vaedesk.support.safe_read import read_limited

FORMAT = "vaedesk-session"
VERSION = 1
MAX_GALLERY = 500
MAX_PINS = 1000
#: All the points of a session together (current drawing and gallery). With coordinates
#: written to 2 decimals and within ±MAX_COORDINATE, a point takes at most 27 bytes of JSON,
#: so a session at every limit at once (tested) stays below MAX_FILE_BYTES.
MAX_SESSION_POINTS = 1_000_000
MAX_FILE_BYTES = 40 * 1024 * 1024
_DECIMALS = 2  # canvas units: 1/1000 of a 28x28 pixel, far below what the model can see
_LATENT_DECIMALS = 5  # latent units: the prior's σ is 1


class SessionError(VaedeskError):
    """A session file that cannot be read, or a session that cannot be written."""


@dataclass
class Drawing:
    """Strokes (each (N, 2) canvas points) with their pen, or an imported image's model input."""

    strokes: list[np.ndarray] = field(default_factory=list)
    pen_width: float | None = None
    image: np.ndarray | None = None  # (28, 28) float in [0, 1], for imported images

    def is_empty(self) -> bool:
        return not self.strokes and self.image is None

    def point_count(self) -> int:
        return sum(len(s) for s in self.strokes)


@dataclass
class Session:
    drawing: Drawing = field(default_factory=Drawing)
    gallery: list[Drawing] = field(default_factory=list)
    pins: list[PinnedPoint] = field(default_factory=list)  # each a latent point of its own model
    model: str | None = None  # the model shown when the session was saved
    attributes: list[Attribute] = field(default_factory=list)  # named latent directions, each of its model
    #: What a loaded file held that could not be restored, one line each (each dropped alone).
    problems: list[str] = field(default_factory=list)

    def point_count(self) -> int:
        return self.drawing.point_count() + sum(d.point_count() for d in self.gallery)


def session_path() -> Path:
    return user_data_dir() / "session.json"


# --------------------------------------------------------------------------- checks shared by writer and reader


def check_drawing_entry(drawing: Drawing, what: str) -> Drawing:
    """The drawing as it is saved and restored, or SessionError naming what is wrong."""
    image = drawing.image
    if image is not None:
        try:
            with np.errstate(over="ignore"):  # a value beyond float32 becomes inf, refused below
                image = np.asarray(image, dtype=np.float32)
        except (TypeError, ValueError, OverflowError):
            raise SessionError(f"{what}: image is not a 28x28 grid of numbers") from None
        if (image.shape != (FIELD_SIZE, FIELD_SIZE) or not np.isfinite(image).all()
                or image.min() < 0 or image.max() > 1):
            raise SessionError(f"{what}: image must be 28x28 values in [0, 1]")
        return Drawing([], None, image)
    try:
        strokes, pen = check_drawing(drawing.strokes, drawing.pen_width, allow_empty=True)
    except DrawingError as exc:
        raise SessionError(f"{what}: {exc}") from None
    return Drawing(strokes, None if drawing.pen_width is None else pen)


@dataclass(frozen=True)
class PinnedPoint:
    """A pin as the session keeps it: a latent point of the model it was made on."""

    model: str | None  # None: a pin of an older session file, of the session's model
    latent: tuple[float, ...]


def _coordinates(values: Any, what: str) -> tuple[float, ...]:
    if not isinstance(values, (list, tuple, np.ndarray)) or not 1 <= len(values) <= LATENT_DIM_LIMIT:
        raise SessionError(f"{what} must be a list of 1 to {LATENT_DIM_LIMIT} latent coordinates")
    out = []
    for value in values:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise SessionError(f"{what} must be a finite number, not {_short(value)}")
        number = float(value) if abs(value) < 1e300 else math.inf  # type: ignore[operator]  # ints too large for a float
        if not math.isfinite(number) or abs(number) > LATENT_LIMIT:
            raise SessionError(f"{what} must be a finite number within ±{LATENT_LIMIT:g}, not {_short(value)}")
        out.append(round(number, _LATENT_DECIMALS))  # as written: a pin reads back exactly as saved
    return tuple(out)


def check_pin(pin: Any, what: str, model: str | None = None) -> PinnedPoint:
    """A pin as a :class:`PinnedPoint` (``{"model": name, "latent": [...]}`` in a file), or
    SessionError. An older file's ``[x, y]`` is a 2-d latent point of ``model``, the session's."""
    values: Any
    if isinstance(pin, PinnedPoint):
        model, values = pin.model, pin.latent
    elif isinstance(pin, dict):
        model, values = pin.get("model"), pin.get("latent")
    else:
        values = pin
    if model is not None and not isinstance(model, str):
        raise SessionError(f"{what}: its model must be a name")
    return PinnedPoint(model, _coordinates(values, what))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_session(session: Session) -> Session:
    """Raise SessionError when the session breaks a limit the reader enforces."""
    if len(session.gallery) > MAX_GALLERY:
        raise SessionError(f"the gallery holds more than {MAX_GALLERY} drawings")
    if len(session.pins) > MAX_PINS:
        raise SessionError(f"more than {MAX_PINS} pins")
    if session.point_count() > MAX_SESSION_POINTS:
        raise SessionError(f"the drawings hold more than {MAX_SESSION_POINTS:,} points together")
    check_drawing_entry(session.drawing, "current drawing")
    for i, drawing in enumerate(session.gallery):
        check_drawing_entry(drawing, f"gallery drawing {i + 1}")
    for i, pin in enumerate(session.pins):
        check_pin(pin, f"pin {i + 1}", session.model)
    if session.model is not None and not isinstance(session.model, str):
        raise SessionError("model must be a name")
    if len(session.attributes) > MAX_ATTRIBUTES:
        raise SessionError(f"more than {MAX_ATTRIBUTES} attributes")
    for i, attribute in enumerate(session.attributes):
        check_attribute_entry(attribute, f"attribute {i + 1}")
    return session


def check_attribute_entry(attribute: Any, what: str) -> Attribute:
    try:
        return check_attribute(attribute, what)
    except LatentError as exc:
        raise SessionError(str(exc)) from None


# --------------------------------------------------------------------------- writing


def _drawing_to_json(drawing: Drawing) -> dict[str, Any]:
    out: dict[str, Any] = {"strokes": [np.round(np.asarray(s, float), _DECIMALS).tolist() for s in drawing.strokes]}
    if drawing.pen_width is not None:
        out["pen_width"] = float(drawing.pen_width)
    if drawing.image is not None:
        out["image"] = np.round(np.asarray(drawing.image, float), 4).tolist()
    return out


def _attribute_to_json(attribute: Attribute) -> dict[str, Any]:
    return {"name": attribute.name, "model": attribute.model, "description": attribute.description,
            "start": np.round(attribute.start, _LATENT_DECIMALS).tolist(),
            "vector": np.round(attribute.vector, _LATENT_DECIMALS).tolist()}


def session_text(session: Session) -> str:
    """The session as the JSON text that :func:`save_session` writes (checked first)."""
    check_session(session)
    data = {
        "format": FORMAT,
        "version": VERSION,
        "model": session.model,
        "drawing": _drawing_to_json(session.drawing),
        "gallery": [_drawing_to_json(d) for d in session.gallery],
        "pins": [{"model": pin.model, "latent": [round(float(v), _LATENT_DECIMALS) for v in pin.latent]}
                 for pin in session.pins],
        "attributes": [_attribute_to_json(a) for a in session.attributes],
    }
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    if len(text) > MAX_FILE_BYTES:  # cannot happen within the limits above; never write what can't be read
        raise SessionError(f"the session would take {len(text):,} bytes, over the {MAX_FILE_BYTES:,} a session may")
    return text


def save_session(session: Session, path: str | os.PathLike | None = None) -> Path:
    """Write the session atomically; returns the path. SessionError for a session that
    breaks a limit (nothing is written), OSError when the file system refuses."""
    target = Path(path) if path is not None else session_path()
    text = session_text(session)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


# --------------------------------------------------------------------------- reading


def load_session(path: str | os.PathLike | None = None) -> Session | None:
    """The saved session, or None when there is none.

    Raises SessionError for a file that cannot be read at all (not a regular file, too
    large, not JSON, not a session). A drawing or pin that breaks a limit is dropped alone
    and named in the result's ``problems``.
    """
    source = Path(path) if path is not None else session_path()
    try:
        if not source.exists() and not source.is_symlink():
            return None
    except OSError as exc:
        raise SessionError(f"{source}: cannot read ({exc.strerror or exc})") from None
    raw = read_limited(source, MAX_FILE_BYTES, SessionError, "session file")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SessionError(f"{source}: not a text file (invalid UTF-8)") from None
    except json.JSONDecodeError as exc:
        raise SessionError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except (ValueError, RecursionError) as exc:  # an integer of over 4300 digits; nesting too deep
        raise SessionError(f"{source}: not usable JSON ({one_line(exc)})") from None
    try:
        return _parse(data)
    except SessionError as exc:
        raise SessionError(f"{source}: {exc}") from None



def _parse(data: Any) -> Session:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessionError("not a vaedesk session file")
    if data.get("version") != VERSION:
        raise SessionError(f"session version {_short(data.get('version'))} is not {VERSION}")
    gallery, pins, attributes = data.get("gallery", []), data.get("pins", []), data.get("attributes", [])
    if not isinstance(gallery, list):
        raise SessionError("gallery must be a list of drawings")
    if not isinstance(pins, list):
        raise SessionError("pins must be a list of points")
    if not isinstance(attributes, list):
        raise SessionError("attributes must be a list")
    model = data.get("model")
    if model is not None and not isinstance(model, str):
        raise SessionError("model must be a name")
    session = Session(model=model)
    problems = session.problems
    points = 0

    def restore(entry: Any, what: str) -> Drawing | None:
        nonlocal points
        try:
            drawing = check_drawing_entry(_drawing_from_json(entry, what), what)
        except SessionError as exc:
            problems.append(str(exc))
            return None
        if points + drawing.point_count() > MAX_SESSION_POINTS:
            problems.append(f"{what}: over the session's {MAX_SESSION_POINTS:,} points")
            return None
        points += drawing.point_count()
        return drawing

    session.drawing = restore(data.get("drawing", {}), "current drawing") or Drawing()
    for i, entry in enumerate(gallery):
        if len(session.gallery) == MAX_GALLERY:
            problems.append(f"gallery drawings {i + 1}-{len(gallery)}: over the gallery's {MAX_GALLERY}")
            break
        drawing = restore(entry, f"gallery drawing {i + 1}")
        if drawing is not None:
            session.gallery.append(drawing)
    for i, pin in enumerate(pins):
        if len(session.pins) == MAX_PINS:
            problems.append(f"pins {i + 1}-{len(pins)}: over the limit of {MAX_PINS}")
            break
        try:
            session.pins.append(check_pin(pin, f"pin {i + 1}", model))
        except SessionError as exc:
            problems.append(str(exc))
    for i, entry in enumerate(attributes):
        if len(session.attributes) == MAX_ATTRIBUTES:
            problems.append(f"attributes {i + 1}-{len(attributes)}: over the limit of {MAX_ATTRIBUTES}")
            break
        try:
            session.attributes.append(check_attribute_entry(_attribute_from_json(entry, f"attribute {i + 1}"),
                                                            f"attribute {i + 1}"))
        except SessionError as exc:
            problems.append(str(exc))
    return session


def _attribute_from_json(data: Any, what: str) -> Attribute:
    if not isinstance(data, dict):
        raise SessionError(f"{what} must be an object")
    description = data.get("description", "")
    # Unchecked here: check_attribute_entry checks every field.
    return Attribute(data.get("name"), data.get("model"), data.get("start"), data.get("vector"),  # type: ignore[arg-type]
                     description if isinstance(description, str) else "")


def _drawing_from_json(data: Any, what: str) -> Drawing:
    """The drawing's parts as found in the file; the limits are checked afterwards."""
    if not isinstance(data, dict):
        raise SessionError(f"{what} must be an object")
    strokes = data.get("strokes", [])
    if not isinstance(strokes, list):
        raise SessionError(f"{what}: strokes must be a list")
    for i, stroke in enumerate(strokes):
        # check_drawing drops empty strokes silently; a file holding one was not written by us.
        if not isinstance(stroke, list) or not stroke:
            raise SessionError(f"{what}: stroke {i + 1} must be a list of [x, y] points")
    pen = data.get("pen_width")
    if pen is not None and (isinstance(pen, bool) or not isinstance(pen, (int, float))):
        raise SessionError(f"{what}: pen width must be a number, not {_short(pen)}")
    return Drawing(strokes, pen, data.get("image"))


# --------------------------------------------------------------------------- damaged files

_DAMAGED = re.compile(r"\.damaged-(\d+)$")


def _damaged_names(source: Path):
    """Free names ``STEM.damaged-N.SUFFIX``, from one above the highest in use (no upper bound)."""
    highest = 0
    try:
        for entry in os.scandir(source.parent):
            stem, suffix = os.path.splitext(entry.name)
            match = _DAMAGED.search(stem)
            if suffix == source.suffix and match and stem[: match.start()] == source.stem:
                highest = max(highest, int(match.group(1)))
    except OSError:
        pass
    n = highest + 1
    while True:
        yield source.with_name(f"{source.stem}.damaged-{n}{source.suffix}")
        n += 1


def set_aside(path: str | os.PathLike | None = None, *, copy: bool = False) -> Path | None:
    """Keep a damaged session file under a new name, never replacing another; returns it.

    The file is moved; with ``copy`` it is copied instead and stays, for a file that was
    partly restored (the next autosave replaces it). None when the file system refuses.
    """
    source = Path(path) if path is not None else session_path()
    try:
        data = read_limited(source, MAX_FILE_BYTES, SessionError, "session file") if copy else None
    except SessionError:
        return None
    for _attempt, target in zip(range(100), _damaged_names(source)):
        try:
            if data is not None:
                write_new(target, data)
            else:
                try:  # link + unlink, unlike rename, never replaces a file that appeared meanwhile
                    os.link(source, target, follow_symlinks=False)
                except OSError as exc:
                    if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                        raise
                    source.rename(target)  # a file system without hard links
                else:
                    source.unlink()
            return target
        except FileExistsError:
            continue
        except OSError:
            return None
    return None
