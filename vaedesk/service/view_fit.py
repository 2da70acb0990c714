"""A neighbourhood view fitted in a process of its own: ``python -m vaedesk.service.view_fit FD``.

The model process starts one (a :class:`vaedesk.service.process.ChildProcess`) when the window
asks for a view that has to be fitted, so that the minutes of encoding and UMAP neither stop
the model process answering the window nor need a way to interrupt UMAP's compiled code: to
cancel the fit, the model process ends this process. It reads one
:class:`~vaedesk.service.protocol.FitNeighbours`, reports
:class:`~vaedesk.service.protocol.ViewFitProgress` as it works, and ends after
:class:`~vaedesk.service.protocol.NeighboursFitted` or
:class:`~vaedesk.service.protocol.Failed`. It ends at once when told to
:class:`~vaedesk.service.protocol.Stop` or when the model process' end of the connection
closes, so no fit outlives the app. No Qt here.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from multiprocessing.connection import Connection

from vaedesk.errors import VaedeskError
from vaedesk.service.protocol import Channel, Failed, FitNeighbours, NeighboursFitted, ViewFitProgress

log = logging.getLogger(__name__)


def _end_when_told(connection: Connection) -> None:
    """Whatever comes after the request (Stop) or the end of the connection ends the process:
    the fit has nobody left to give its view to."""
    try:
        connection.recv()
    except (EOFError, OSError):
        pass
    os._exit(0)


def fit(connection: Connection) -> None:
    """Answer the one request that arrives on ``connection``."""
    try:
        request = connection.recv()
    except (EOFError, OSError):
        return
    threading.Thread(target=_end_when_told, args=(connection,), name="vaedesk-view-fit-watch", daemon=True).start()
    if not isinstance(request, FitNeighbours):
        connection.send(Failed(Channel.LOAD, f"the view fitter got a {type(request).__name__}"))
        return
    from vaedesk.latent.views import fit_neighbour_view
    from vaedesk.model.model import load_model

    def progress(stage: str, fraction: float | None) -> None:
        connection.send(ViewFitProgress(0, "neighbors", stage, fraction))

    try:
        view = fit_neighbour_view(load_model(request.model), request.seed, progress)
        connection.send(NeighboursFitted(view))
    except VaedeskError as exc:
        connection.send(Failed(Channel.LOAD, str(exc)))
    except Exception as exc:  # a bug or a library's failure: said in one line, the app goes on
        log.exception("the neighbourhood view's fit failed")
        connection.send(Failed(Channel.LOAD, f"the neighbourhood view's fit failed: {type(exc).__name__}: {exc}"))


def main() -> None:
    from vaedesk.service.process import child_connection

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the app decides when this ends
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    connection = child_connection()
    try:
        fit(connection)
    except (OSError, EOFError, ValueError):  # the model process has gone: nobody to tell
        pass
    finally:
        connection.close()


if __name__ == "__main__":
    main()
