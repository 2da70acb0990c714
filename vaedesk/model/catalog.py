"""Which models exist and where their files are, without importing PyTorch.

A model is ``NAME.safetensors`` (weights) beside ``NAME.json`` (its card), either in the
user's model folder or among the bundled models; the user's folder wins on a name clash.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from vaedesk.errors import ModelError
from vaedesk.model.store import NEXT, folder_lock, pending, settle
from vaedesk.support.paths import bundled_models_dir, user_models_dir

DEFAULT_MODEL = "mnist-vae-2d"
WEIGHTS_SUFFIX = ".safetensors"
CARD_SUFFIX = ".json"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def model_files(path: Path) -> tuple[Path, Path]:
    stem = path.with_suffix("") if path.suffix in (WEIGHTS_SUFFIX, CARD_SUFFIX) else path
    return stem.with_name(stem.name + WEIGHTS_SUFFIX), stem.with_name(stem.name + CARD_SUFFIX)


def _search_dirs() -> list[Path]:
    return [user_models_dir(), bundled_models_dir()]


def _settle_folder(folder: Path) -> set[str]:
    """Finish the replacements a killed save left in ``folder``; the names of those that
    could only be read under their next names (a read-only folder)."""
    stems = {p.name[1 : -len(CARD_SUFFIX + NEXT)] for p in folder.glob(f".*{CARD_SUFFIX}{NEXT}")}
    stems |= {p.name[1 : -len(WEIGHTS_SUFFIX + NEXT)] for p in folder.glob(f".*{WEIGHTS_SUFFIX}{NEXT}")}
    unsettled: set[str] = set()
    if stems:
        with folder_lock(folder) as locked:
            for stem in stems:
                weights, card = model_files(folder / stem)
                if settle(weights, card, locked)[1] != card:
                    unsettled.add(stem)
    return {stem for stem in unsettled if _NAME_RE.match(stem)}


def list_models() -> list[str]:
    """Names of the available models: the bundled ones and the user's own, default first."""
    names: set[str] = set()
    for folder in _search_dirs():
        if folder.is_dir():
            names |= _settle_folder(folder)
            names.update(p.stem for p in folder.glob("*" + WEIGHTS_SUFFIX) if p.with_suffix(CARD_SUFFIX).is_file())
    return sorted(names, key=lambda n: (n != DEFAULT_MODEL, n))


def probe_path(path: Path, test: str) -> bool:
    """``path.exists()`` / ``is_file()`` / ``is_dir()``, as a ModelError when the system
    refuses the name outright (too long), which pathlib raises as OSError."""
    try:
        return getattr(path, test)()
    except OSError as exc:
        raise ModelError(f"{path}: cannot open ({exc.strerror or exc})") from None


def resolve_model_path(name_or_path: str | os.PathLike | None = None) -> Path:
    """The weights file for a model name (user folder first, then bundled) or a path."""
    if name_or_path is None:
        name_or_path = DEFAULT_MODEL
    try:
        text = os.fspath(name_or_path)
    except TypeError:
        text = None
    if not isinstance(text, str):  # bytes paths too: names are text everywhere else
        raise ModelError(f"a model is named by a name or a path, not {type(name_or_path).__name__}")
    if _NAME_RE.match(text) and not text.endswith((WEIGHTS_SUFFIX, CARD_SUFFIX)):
        for folder in _search_dirs():
            weights = folder / (text + WEIGHTS_SUFFIX)
            if probe_path(weights, "is_file") or pending(*model_files(weights)):
                return weights
        if not probe_path(Path(text), "exists"):
            available = ", ".join(list_models()) or "none"
            raise ModelError(f"no model named {text!r} (available: {available})")
    path = Path(text)
    if probe_path(path, "is_dir"):
        raise ModelError(f"{path}: is a folder, expected a model file ({WEIGHTS_SUFFIX} or {CARD_SUFFIX})")
    return model_files(path)[0]
