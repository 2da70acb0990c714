"""The app's colour themes as plain data, and the colour arithmetic that keeps marks readable
on a light or a dark background (no Qt: the GUI turns these into palettes and pens).

Colours are ``(r, g, b)`` tuples of 0..255; contrast is WCAG 2's ratio of relative luminances.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "DEFAULT_THEME", "THEMES", "THEME_LABELS", "PALETTES", "RGB", "class_colors", "contrast", "is_dark",
    "luminance", "mix", "readable", "severity_color", "theme_name",
]

RGB = tuple[int, int, int]

THEMES = ("system", "light", "dark")
THEME_LABELS = {"system": "&System", "light": "&Light", "dark": "&Dark"}
DEFAULT_THEME = "system"

# Palette roles (Qt's names) for the Light and Dark themes; "disabled" holds the roles that
# differ for disabled widgets. System uses the platform's own palette.
PALETTES: dict[str, dict[str, dict[str, RGB]]] = {
    "light": {
        "active": {
            "Window": (239, 239, 239), "WindowText": (30, 30, 30), "Base": (255, 255, 255),
            "AlternateBase": (245, 245, 245), "Text": (30, 30, 30), "Button": (239, 239, 239),
            "ButtonText": (30, 30, 30), "BrightText": (255, 255, 255), "Light": (255, 255, 255),
            "Midlight": (227, 227, 227), "Mid": (184, 184, 184), "Dark": (160, 160, 160),
            "Shadow": (118, 118, 118), "Highlight": (48, 114, 196), "HighlightedText": (255, 255, 255),
            "Link": (11, 92, 173), "LinkVisited": (122, 62, 157), "ToolTipBase": (255, 255, 220),
            "ToolTipText": (0, 0, 0), "PlaceholderText": (100, 100, 100),
        },
        "disabled": {"WindowText": (150, 150, 150), "Text": (150, 150, 150), "ButtonText": (150, 150, 150)},
    },
    "dark": {
        "active": {
            "Window": (43, 43, 43), "WindowText": (230, 230, 230), "Base": (30, 30, 30),
            "AlternateBase": (38, 38, 38), "Text": (230, 230, 230), "Button": (53, 53, 53),
            "ButtonText": (230, 230, 230), "BrightText": (255, 107, 107), "Light": (80, 80, 80),
            "Midlight": (64, 64, 64), "Mid": (96, 96, 96), "Dark": (26, 26, 26),
            "Shadow": (13, 13, 13), "Highlight": (47, 101, 173), "HighlightedText": (255, 255, 255),
            "Link": (106, 176, 243), "LinkVisited": (180, 142, 232), "ToolTipBase": (58, 58, 58),
            "ToolTipText": (240, 240, 240), "PlaceholderText": (160, 160, 160),
        },
        "disabled": {"WindowText": (120, 120, 120), "Text": (120, 120, 120), "ButtonText": (120, 120, 120)},
    },
}

# Messages by severity, as (on a light background, on a dark one); "info" is plain text.
_SEVERITY: dict[str, tuple[RGB, RGB]] = {
    "warning": ((161, 92, 0), (255, 183, 77)),
    "error": ((176, 0, 32), (255, 138, 128)),
}


def theme_name(value: object) -> str:
    """A stored theme setting as one of :data:`THEMES` (anything else: the default)."""
    name = str(value).strip().lower() if value is not None else ""
    return name if name in THEMES else DEFAULT_THEME


def _linear(channel: int) -> float:
    c = channel / 255.0
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb: Sequence[int]) -> float:
    """Relative luminance, 0 (black) to 1 (white)."""
    r, g, b = (_linear(int(c)) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: Sequence[int], b: Sequence[int]) -> float:
    """Contrast ratio of two colours, 1 (same) to 21 (black on white)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def is_dark(background: Sequence[int]) -> bool:
    """Whether light marks read better than dark ones on ``background``."""
    return contrast(background, (255, 255, 255)) > contrast(background, (0, 0, 0))


def mix(a: Sequence[int], b: Sequence[int], t: float) -> RGB:
    """``a`` moved a fraction ``t`` (0..1) of the way to ``b``."""
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a[:3], b[:3], strict=True))  # type: ignore[return-value]


def readable(rgb: Sequence[int], background: Sequence[int], min_ratio: float = 3.0) -> RGB:
    """``rgb``, lightened on a dark background or darkened on a light one just enough to
    reach ``min_ratio`` against it (as far as white or black allow)."""
    target = (255, 255, 255) if is_dark(background) else (0, 0, 0)
    for step in range(21):
        candidate = mix(rgb, target, step / 20.0)
        if contrast(candidate, background) >= min_ratio:
            return candidate
    return target


def class_colors(colors: Sequence[Sequence[int]], background: Sequence[int]) -> tuple[RGB, ...]:
    """The class colours for a plot on ``background``: as designed on a light one, and each
    lightened until it stands out (3:1, as graphics need) on a dark one."""
    if not is_dark(background):
        return tuple(tuple(int(c) for c in rgb[:3]) for rgb in colors)  # type: ignore[misc]
    return tuple(readable(rgb, background, 3.0) for rgb in colors)


def severity_color(level: str, background: Sequence[int]) -> RGB | None:
    """The colour of a ``"warning"`` or ``"error"`` message on ``background`` (None for
    ``"info"`` and anything else: the palette's text colour)."""
    pair = _SEVERITY.get(level)
    if pair is None:
        return None
    return pair[1] if is_dark(background) else pair[0]
