"""``vaedesk --info``: the versions, folders and models of this installation, as text to
paste into a bug report. No Qt, no torch import (versions come from the installed packages'
metadata)."""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path

from vaedesk import __version__
from vaedesk.support.paths import (
    bundled_models_dir,
    desktop_dir,
    resources_dir,
    settings_path,
    user_cache_dir,
    user_config_dir,
    user_data_dir,
    user_log_dir,
    user_models_dir,
)

# Shown name -> the distributions that provide it, first found wins.
PACKAGES = {"torch": ("torch",), "PySide6": ("PySide6-Essentials", "PySide6"), "pyqtgraph": ("pyqtgraph",),
            "numpy": ("numpy",), "platformdirs": ("platformdirs",)}


def package_version(*distributions: str) -> str:
    for name in distributions:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def versions(qt_version: str | None = None) -> dict[str, str]:
    """vaedesk's, Python's and each dependency's version; ``qt_version`` is the Qt library
    PySide6 runs on, when the caller has it."""
    found = {"vaedesk": __version__, "Python": f"{platform.python_version()} ({platform.platform()})"}
    found.update({shown: package_version(*names) for shown, names in PACKAGES.items()})
    if qt_version:
        found["PySide6"] += f" (Qt {qt_version})"
    return found


def folders() -> dict[str, Path]:
    """Every folder and file vaedesk reads or writes, by what it holds."""
    return {
        "data (session)": user_data_dir(),
        "your models": user_models_dir(),
        "config": user_config_dir(),
        "settings file": settings_path(),
        "cache": user_cache_dir(),
        "log": user_log_dir(),
        "bundled models": bundled_models_dir(),
        "bundled data": resources_dir() / "data",
        "desktop entry and icon": desktop_dir(),
    }


def models() -> list[tuple[str, str]]:
    """(name, where its weights are, or why not) for each model found."""
    from vaedesk.errors import VaedeskError
    from vaedesk.model.catalog import list_models, resolve_model_path

    try:
        names = list_models()
    except (VaedeskError, OSError) as exc:
        return [("?", f"the model folders cannot be read ({exc})")]
    found = []
    for name in names:
        try:
            found.append((name, str(resolve_model_path(name))))
        except VaedeskError as exc:
            found.append((name, f"broken: {exc}"))
    return found


def info_text(found_versions: Mapping[str, str], found_folders: Mapping[str, Path],
              found_models: Sequence[tuple[str, str]]) -> str:
    """The report ``vaedesk --info`` prints (each section a heading and aligned rows)."""
    lines = ["versions"]
    width = max(map(len, found_versions))
    lines += [f"  {name:<{width}}  {value}" for name, value in found_versions.items()]
    lines.append("folders")
    width = max(map(len, found_folders))
    for name, path in found_folders.items():
        note = "" if path.exists() else "  (not created yet)"
        lines.append(f"  {name:<{width}}  {path}{note}")
    lines.append(f"models ({len(found_models)})")
    if found_models:
        width = max(len(name) for name, _ in found_models)
        lines += [f"  {name:<{width}}  {where}" for name, where in found_models]
    return "\n".join(lines) + "\n"


def collect(qt_version: str | None = None) -> str:
    return info_text(versions(qt_version), folders(), models())
