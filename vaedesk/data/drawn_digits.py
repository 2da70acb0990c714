"""The held-out drawn digits: the measure of how well people's drawings land.

600 digits drawn as mouse strokes by a generator of a different family from the one the
encoders train on (see ``resources/data/drawn-digits/README.md``). Only the evaluation
reads them; training never does (a test holds it to that), so they measure the encoder
on drawings it was never fitted to, as a person's would be.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vaedesk.errors import VaedeskError
from vaedesk.support.paths import resources_dir
from vaedesk.support.safe_read import read_limited

FORMAT = "vaedesk-drawn-digits"
# The file is 280 kB; its JSON 2 MB. Far larger is not this set.
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_JSON_BYTES = 64 * 1024 * 1024


def heldout_path() -> Path:
    return resources_dir() / "data" / "drawn-digits" / "heldout.json.gz"


@dataclass(frozen=True)
class DrawnDigits:
    """Drawings (each a list of (K, 2) float64 strokes in canvas coordinates), their
    digits and the name of the way each was drawn (e.g. ``"snowman"`` for an 8)."""

    strokes: list[list[np.ndarray]]
    labels: np.ndarray
    styles: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)


def load_drawn_digits(path: str | os.PathLike | None = None) -> DrawnDigits:
    """Read a drawn-digits file (the bundled held-out set by default); VaedeskError if it
    is not one."""
    path = Path(path) if path is not None else heldout_path()
    raw = read_limited(path, MAX_FILE_BYTES, VaedeskError, "drawn-digits file")
    try:
        text = gzip.GzipFile(fileobj=io.BytesIO(raw)).read(MAX_JSON_BYTES + 1)
        if len(text) > MAX_JSON_BYTES:
            raise VaedeskError(f"{path}: more than {MAX_JSON_BYTES:,} bytes of JSON")
        data = json.loads(text)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise VaedeskError(f"{path}: not a gzip-compressed drawn-digits file ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("drawings"), list):
        raise VaedeskError(f"{path}: not a drawn-digits file (expected format {FORMAT!r})")
    strokes, labels, styles = [], [], []
    for i, drawing in enumerate(data["drawings"]):
        try:
            label = drawing["label"]
            if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label <= 9:
                raise ValueError(f"label {label!r:.20}")
            parts = [np.asarray(stroke, dtype=np.float64) for stroke in drawing["strokes"]]
            if not parts or any(p.ndim != 2 or p.shape[1] != 2 or not np.isfinite(p).all() for p in parts):
                raise ValueError("strokes are not lists of x, y points")
        except (TypeError, KeyError, ValueError) as exc:
            raise VaedeskError(f"{path}: drawing {i} is malformed ({exc})") from None
        strokes.append(parts)
        labels.append(label)
        styles.append(str(drawing.get("style", "")))
    return DrawnDigits(strokes, np.asarray(labels, dtype=np.int64), tuple(styles))
