"""Autosave and restore of the workspace: the session file written a moment after each
change and on close, restored at start whatever the file holds, and the user told plainly
when their work is not safe."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from vaedesk.errors import VaedeskError
from vaedesk.state.session import Session, SessionError, load_session, save_session, session_path, set_aside
from vaedesk.state.workspace import Workspace
from vaedesk.support.atomic import sweep_stale
from vaedesk.support.paths import user_data_dir, user_models_dir

AUTOSAVE_DELAY_MS = 800  # a change is on disk this soon after it was made


class SessionKeeper(QObject):
    """Keeps the workspace in the session file.

    ``failed(message)`` fires when autosave stops working (once until it works again),
    ``saved(path)`` after each write, ``warned(title, text)`` for what the user must read
    at start (a damaged or partly restored session).
    """

    saved = Signal(str)
    failed = Signal(str)
    recovered = Signal()
    warned = Signal(str, str)

    def __init__(self, workspace: Workspace, model_name: Callable[[], str | None], parent: QObject | None = None):
        super().__init__(parent)
        self.workspace = workspace
        self._model_name = model_name
        #: Why the session cannot be saved right now (None while autosave works).
        self.error: str | None = None
        #: Drawn or kept since the last "Save drawing" (a close asks first).
        self.unsaved_drawings = False
        self.restored_note = ""
        self._blocked: str | None = None  # a damaged file that could not be set aside is never overwritten
        self._timer = QTimer(self, singleShot=True, interval=AUTOSAVE_DELAY_MS)
        self._timer.timeout.connect(self.save)
        for event in (workspace.gallery_changed, workspace.pins_changed, workspace.attributes_changed):
            event.connect(self.schedule)
        workspace.drawing_changed.connect(self._drawing_changed)
        workspace.gallery_changed.connect(self._drawing_changed)

    def _drawing_changed(self) -> None:
        self.unsaved_drawings = True
        self.schedule()

    def schedule(self) -> None:
        self._timer.start()

    def current_session(self) -> Session:
        return self.workspace.to_session(self._model_name())

    def save(self) -> bool:
        """Write the session now. On failure ``failed`` says why; never raises."""
        self._timer.stop()
        try:
            if self._blocked:
                raise VaedeskError(self._blocked)
            path = save_session(self.current_session())
        except Exception as exc:  # noqa: BLE001  (whatever it is, the user must hear of it)
            message = " ".join(str(exc).split()) or type(exc).__name__
            first = self.error is None
            self.error = message
            if first:
                self.failed.emit(message)
            return False
        if self.error is not None:
            self.error = None
            self.recovered.emit()
        self.saved.emit(str(path))
        return True

    def restore(self) -> None:
        """Restore the last session into the workspace; whatever is wrong with its file, the
        app starts (the file is set aside, or copied aside when partly restored)."""
        for folder in (user_data_dir(), user_models_dir()):
            sweep_stale(folder)  # temporaries of writes that a crash or a kill cut short
        try:
            session = load_session()
            if session is None:
                return
            self.workspace.load_session(session)
        except Exception as exc:  # noqa: BLE001  (a SessionError, or anything a damaged file provokes)
            self.workspace.load_session(Session())
            reason = str(exc) if isinstance(exc, SessionError) else f"{type(exc).__name__}: {exc}"
            kept = set_aside()
            if kept is None and session_path().exists():
                self._blocked = (f"the damaged session file {session_path()} could not be set aside, "
                                 "so it is not overwritten")
            where = f" It was kept as {kept}." if kept else ""
            self.warned.emit("Session not restored",
                             f"Your last session could not be restored: {' '.join(reason.split())}.{where}")
            self.unsaved_drawings = False
            return
        self.unsaved_drawings = False  # restored, and still in the session file
        restored = len(session.gallery) + (not session.drawing.is_empty())
        if restored or session.pins:
            self.restored_note = f"restored your last session: {restored} drawing(s), {len(session.pins)} pin(s)"
        if session.problems:
            kept = set_aside(copy=True)
            shown = "; ".join(session.problems[:3]) + ("; …" if len(session.problems) > 3 else "")
            where = f" The file as it was is kept as {kept}." if kept else ""
            self.warned.emit("Session partly restored",
                             f"{len(session.problems)} part(s) of your last session could not be restored and "
                             f"were left out ({shown}). Everything else is back.{where}")

    def close_question(self) -> tuple[str, bool] | None:
        """What to ask before closing, and whether the work is at risk (then the question
        is asked whatever the "don't ask again" setting); None when there is nothing to ask."""
        count = self.workspace.drawing_count()
        if self.error is not None and count and not self.save():
            return (f"Your session cannot be saved ({self.error}). Your {count} drawing(s) will be "
                    "lost when vaedesk closes unless you save them as files."), True
        if not self.unsaved_drawings:
            return None
        return (f"You have {count} drawing(s) not saved as files. They stay in your session and "
                "come back the next time you start vaedesk."), False
