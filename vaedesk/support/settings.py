"""Where the app's settings file lives, its move from the data folder to the configuration
folder, and ``vaedesk --reset-settings``. No Qt: the window opens the file this names.

Up to 0.1.0 the settings were ``settings.ini`` in the data folder, beside the session; they
belong in the configuration folder (``~/.config/vaedesk`` on Linux). The first start of a
newer version moves the file there once, unchanged, so no value is lost.
"""

from __future__ import annotations

import logging
from pathlib import Path

from vaedesk.errors import VaedeskError
from vaedesk.support.atomic import write_new
from vaedesk.support.paths import settings_path, user_data_dir
from vaedesk.support.safe_read import read_limited

log = logging.getLogger(__name__)

SETTINGS_LIMIT = 4 << 20  # bytes; a settings file holds a few hundred


class SettingsError(VaedeskError):
    """The settings file cannot be moved or removed."""


def legacy_settings_path() -> Path:
    """Where versions up to 0.1.0 kept the settings."""
    return user_data_dir() / "settings.ini"


def migrate_settings() -> Path | None:
    """Move ``settings.ini`` from the data folder to the configuration folder, once; the new
    path when it moved, else None (nothing to move, or the new file already exists: then
    the old one is left alone). Raises SettingsError when the old file cannot be read or the
    new one cannot be written (the old one is then kept)."""
    old, new = legacy_settings_path(), settings_path()
    if old == new or not old.is_file() or new.exists():
        if old != new and old.is_file():
            log.info("settings: %s is used; the older %s is left as it is", new, old)
        return None
    data = read_limited(old, SETTINGS_LIMIT, SettingsError, "settings file")
    try:
        write_new(new, data)  # complete or not at all, and never over a file that appeared meanwhile
    except FileExistsError:
        if new.exists():  # it appeared meanwhile: that one is used
            return None
        raise SettingsError(f"cannot move the settings to {new} (a file is where its folder should be)") from None
    except OSError as exc:
        raise SettingsError(f"cannot move the settings to {new} ({exc.strerror or exc})") from None
    try:
        old.unlink()
    except OSError as exc:  # both copies exist now: the new one is used, the old one is ignored
        log.warning("settings: copied to %s but could not remove %s (%s)", new, old, exc.strerror or exc)
    log.info("settings: moved %s to %s", old, new)
    return new


def reset_settings() -> list[Path]:
    """Delete the settings file (and one left in the old place); the paths removed."""
    removed = []
    for path in (settings_path(), legacy_settings_path()):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except IsADirectoryError:
            raise SettingsError(f"{path} is a folder, not a settings file: remove it yourself") from None
        except OSError as exc:
            raise SettingsError(f"cannot remove {path} ({exc.strerror or exc})") from None
        removed.append(path)
    return removed
