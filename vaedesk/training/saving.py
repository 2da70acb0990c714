"""After a run: where its model goes, that the place can take it, and the saved model
measured on the test set, with its card."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from vaedesk.data.datasets import dataset_name
from vaedesk.errors import VaedeskError
from vaedesk.insight import evaluation
from vaedesk.model.card_markdown import write_markdown_card
from vaedesk.model.catalog import model_files
from vaedesk.model.model import Model, round_to_stored
from vaedesk.support.paths import user_models_dir
from vaedesk.training.config import TrainConfig, TrainingError
from vaedesk.training.events import Evaluating, Event, Notice


def default_destination(config: TrainConfig) -> Path:
    """Where a run saves its model when not told: the user's model folder, named after the
    data, the kind and the latent dimensions (e.g. mnist-vae-2d)."""
    return user_models_dir() / f"{dataset_name(config.data_dir)}-{config.kind}-{config.latent_dim}d"


def reason(exc: BaseException) -> str:
    """What went wrong, in a few words (an OSError's system message)."""
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    return str(exc)


def check_writable(out: str | os.PathLike) -> None:
    """Raise TrainingError unless a model can be saved at ``out`` (a name or either file).

    Checked before a run, which may take hours, rather than found out after it: a probe
    file is created, written, synced and removed in the destination folder (made if
    missing), so a read-only, full or missing-permission folder is named at once.
    """

    folder = model_files(Path(out))[0].parent
    probe = folder / f".vaedesk-probe-{os.getpid()}-{time.monotonic_ns()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(probe, "xb") as handle:
            handle.write(bytes(64 * 1024))  # a full disk refuses data, not always an empty file
            handle.flush()
            os.fsync(handle.fileno())
    except (FileExistsError, NotADirectoryError):
        raise TrainingError(f"cannot save a model in {folder}: a file is in the way of the folder") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise TrainingError(f"cannot save a model in {folder}: {reason(exc)}") from None
    finally:
        try:
            probe.unlink(missing_ok=True)
        except (OSError, ValueError):
            pass


def save_or_rescue(model: Model, out: str | os.PathLike) -> Path:
    """``model.save(out)``; if that fails, the model saved somewhere else and a TrainingError
    that says where, so a finished run is never lost to a full or read-only disk."""
    try:
        return model.save(out)
    except (OSError, VaedeskError) as exc:
        problem = f"cannot save the model as {out} ({reason(exc)})"

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for folder in (user_models_dir(), Path(tempfile.gettempdir())):
        try:
            kept = model.save(folder / f"{Path(out).name}-rescued-{stamp}")
        except (OSError, VaedeskError):
            continue
        raise TrainingError(f"{problem}; the trained model was kept as {kept}")
    raise TrainingError(f"{problem}, nor in the model or temporary folder: the trained model is lost")


def save_and_evaluate(model: Model, out: str | os.PathLike, data_dir: str | os.PathLike | None = None,
                      on_event: Callable[[Event], None] | None = None) -> Path:
    """Save a finished run's model at ``out``, measure it on the test set, save it again with
    its metrics (``model.card["metrics"]``) and its Markdown card (``NAME.md``); return the
    weights' path. The weights are first rounded to the float16 the file holds, so the
    metrics are those of the saved model. ``on_event`` hears :class:`Evaluating` once it is
    saved, and a :class:`Notice` if its Markdown card could not be written.

    Saved before evaluating, so a failed evaluation loses no training; a failed save keeps
    the model elsewhere and names the place (TrainingError).
    """
    emit = on_event or _ignore
    out = Path(out)
    round_to_stored(model.net)
    emit(Evaluating(save_or_rescue(model, out)))
    digits = data_dir is None  # the drawn digits only mean something for MNIST
    model.card["metrics"] = evaluation.evaluate(model, data_dir, drawings=50 if digits else 0, heldout=digits)
    path = save_or_rescue(model, out)
    try:  # NAME.md, the card as Markdown (vaedesk.model.card_markdown)
        write_markdown_card(path, model.card)
    except (OSError, ValueError) as exc:  # the model is saved; the window makes its card from the JSON
        emit(Notice(f"could not write the Markdown model card beside {path} ({reason(exc)})"))
    return path


def _ignore(_event: Event) -> None:
    pass
