"""Exceptions raised by vaedesk's API.

Every problem a user can cause (a bad file, a bad argument, an empty drawing) raises a
subclass of :class:`VaedeskError` whose message is one clear line naming the problem; the
command line prints that line and exits non-zero, the GUI shows it in a dialog.
"""


def one_line(exc: BaseException, limit: int = 200) -> str:
    """An exception from elsewhere (a library, the OS) as a short line for a message."""
    text = " ".join(str(exc).split())
    return text[:limit] if text else type(exc).__name__


class VaedeskError(Exception):
    """Base class for every error vaedesk reports to a user."""


class DataError(VaedeskError):
    """A data file (IDX) or data folder is missing, truncated or malformed."""


class ModelError(VaedeskError):
    """A checkpoint or model card is missing, corrupt, unsafe or inconsistent."""


class ImageError(VaedeskError):
    """An image file or array cannot be used as a digit."""


class DrawingError(VaedeskError):
    """A drawing (list of strokes) is empty or has invalid coordinates."""


class ExportError(VaedeskError):
    """An animation cannot be rendered or written."""


class LatentError(VaedeskError, ValueError):
    """A latent point, path or grid request is malformed (wrong dimension, NaN, too few frames)."""


class ExportCancelled(VaedeskError):
    """An export was cancelled by the user; nothing was written."""
