"""Items kept as pixels between changes, and room for them in Qt's pixel cache."""

from __future__ import annotations

from PySide6.QtGui import QPixmapCache
from PySide6.QtWidgets import QGraphicsItem


def keep_as_pixels(*items: QGraphicsItem) -> None:
    """Cache these items and everything inside them (a legend's samples and labels, a
    label's text) as pixels, redrawn only when they change or the zoom does.

    For what rarely changes but sits under what moves: a stroke moves the posterior over
    the prior's circles and the legend, and each repaint would replay their antialiased
    paths and text (caching them halves the plane's full repaint).
    """
    make_room_for_cached_pixels()
    pending = list(items)
    while pending:
        item = pending.pop()
        item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        pending.extend(item.childItems())


PIXMAP_CACHE_KB = 64 * 1024


def make_room_for_cached_pixels() -> None:
    """Let Qt keep every plot's cached layers at once.

    Cached items live in QPixmapCache, 10 MB by default: a plane's axes, prior circles and
    points are each about a plot-sized pixmap, so with the training studio's plots open too
    Qt evicted them and re-rendered the whole plane mid-stroke. 64 MB holds them all on a
    large screen.
    """
    if QPixmapCache.cacheLimit() < PIXMAP_CACHE_KB:
        QPixmapCache.setCacheLimit(PIXMAP_CACHE_KB)
