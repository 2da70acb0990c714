"""The user's session: current drawing, gallery and pins, autosaved so that nothing is lost.

The window writes the session a moment after every change and when it closes; the next
start restores it, also after the process was killed. The file is JSON written atomically
(a crash never leaves half a file), and reading it is strict: a damaged file is set aside
beside the original (never overwritten) and the app starts with an empty session.
No Qt here: the window only converts to and from :class:`Session`.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_path
from .errors import VaedeskError
from .paths import user_data_dir

FORMAT = "vaedesk-session"
VERSION = 1
# Bounds that keep a hostile or damaged file from costing memory or time.
MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_GALLERY = 500
MAX_PINS = 1000
MAX_STROKE_POINTS = 100_000


class SessionError(VaedeskError):
    """A session file that cannot be read."""


@dataclass
class Drawing:
    """Strokes (each (N, 2) canvas points) with their pen, or an imported image's model input."""

    strokes: list[np.ndarray] = field(default_factory=list)
    pen_width: float | None = None
    image: np.ndarray | None = None  # (28, 28) float in [0, 1], for imported images

    def is_empty(self) -> bool:
        return not self.strokes and self.image is None


@dataclass
class Session:
    drawing: Drawing = field(default_factory=Drawing)
    gallery: list[Drawing] = field(default_factory=list)
    pins: list[tuple[float, float]] = field(default_factory=list)
    model: str | None = None  # the pins' plane belongs to this model


def session_path() -> Path:
    return user_data_dir() / "session.json"


def _drawing_to_json(drawing: Drawing) -> dict[str, Any]:
    out: dict[str, Any] = {"strokes": [np.round(np.asarray(s, float), 3).tolist() for s in drawing.strokes]}
    if drawing.pen_width is not None:
        out["pen_width"] = float(drawing.pen_width)
    if drawing.image is not None:
        out["image"] = np.round(np.asarray(drawing.image, float), 4).tolist()
    return out


def save_session(session: Session, path: str | os.PathLike | None = None) -> Path:
    """Write the session atomically; returns the path."""
    target = Path(path) if path is not None else session_path()
    data = {
        "format": FORMAT,
        "version": VERSION,
        "model": session.model,
        "drawing": _drawing_to_json(session.drawing),
        "gallery": [_drawing_to_json(d) for d in session.gallery],
        "pins": [[float(x), float(y)] for x, y in session.pins],
    }
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def _finite_number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SessionError(f"{what} must be a finite number, not {value!r}")
    return float(value)


def _drawing_from_json(data: Any, what: str) -> Drawing:
    if not isinstance(data, dict):
        raise SessionError(f"{what} must be an object")
    strokes_data = data.get("strokes", [])
    if not isinstance(strokes_data, list):
        raise SessionError(f"{what}: strokes must be a list")
    strokes, points = [], 0
    for i, stroke in enumerate(strokes_data):
        try:
            array = np.asarray(stroke, dtype=np.float64)
        except (TypeError, ValueError):
            raise SessionError(f"{what}: stroke {i + 1} is not a list of points") from None
        if array.ndim != 2 or array.shape[1] != 2 or len(array) == 0:
            raise SessionError(f"{what}: stroke {i + 1} must be a list of [x, y] points")
        if not np.isfinite(array).all():
            raise SessionError(f"{what}: stroke {i + 1} has a NaN or infinite coordinate")
        points += len(array)
        if points > MAX_STROKE_POINTS:
            raise SessionError(f"{what}: more than {MAX_STROKE_POINTS} points")
        strokes.append(array)
    pen = data.get("pen_width")
    pen = None if pen is None else _finite_number(pen, f"{what}: pen width")
    image = data.get("image")
    if image is not None:
        try:
            image = np.asarray(image, dtype=np.float32)
        except (TypeError, ValueError):
            raise SessionError(f"{what}: image is not a 28x28 grid of numbers") from None
        if image.shape != (28, 28) or not np.isfinite(image).all() or image.min() < 0 or image.max() > 1:
            raise SessionError(f"{what}: image must be 28x28 values in [0, 1]")
    return Drawing(strokes, pen, image)


def load_session(path: str | os.PathLike | None = None) -> Session | None:
    """The saved session, or None when there is none. Raises SessionError for a damaged file."""
    source = Path(path) if path is not None else session_path()
    try:
        size = source.stat().st_size
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SessionError(f"{source}: cannot read ({exc.strerror or exc})") from None
    if size > MAX_FILE_BYTES:
        raise SessionError(f"{source}: {size} bytes is too large for a session file")
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SessionError(f"{source}: cannot read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise SessionError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    try:
        return _parse(data)
    except SessionError as exc:
        raise SessionError(f"{source}: {exc}") from None


def _parse(data: Any) -> Session:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessionError("not a vaedesk session file")
    if data.get("version") != VERSION:
        raise SessionError(f"session version {data.get('version')!r} is not {VERSION}")
    gallery, pins = data.get("gallery", []), data.get("pins", [])
    if not isinstance(gallery, list) or len(gallery) > MAX_GALLERY:
        raise SessionError(f"gallery must be a list of at most {MAX_GALLERY} drawings")
    if not isinstance(pins, list) or len(pins) > MAX_PINS:
        raise SessionError(f"pins must be a list of at most {MAX_PINS} points")
    parsed_pins = []
    for i, pin in enumerate(pins):
        if not isinstance(pin, list) or len(pin) != 2:
            raise SessionError(f"pin {i + 1} must be [x, y]")
        parsed_pins.append((_finite_number(pin[0], f"pin {i + 1}"), _finite_number(pin[1], f"pin {i + 1}")))
    model = data.get("model")
    if model is not None and not isinstance(model, str):
        raise SessionError("model must be a name")
    return Session(
        drawing=_drawing_from_json(data.get("drawing", {}), "current drawing"),
        gallery=[_drawing_from_json(d, f"gallery drawing {i + 1}") for i, d in enumerate(gallery)],
        pins=parsed_pins,
        model=model,
    )


def set_aside(path: str | os.PathLike | None = None) -> Path | None:
    """Rename a damaged session file out of the way (never deleting it); returns its new name."""
    source = Path(path) if path is not None else session_path()
    for n in range(1, 1000):
        target = source.with_name(f"{source.stem}.damaged-{n}{source.suffix}")
        if not target.exists():
            try:
                source.rename(target)
            except OSError:
                return None
            return target
    return None
