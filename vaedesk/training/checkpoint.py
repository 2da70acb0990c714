"""Checkpoints of a training run, so a stopped or killed run can be resumed.

After every completed epoch the run writes, atomically, ``checkpoint.pt`` in its run
folder (``<out>.run`` beside the model it will save): the weights, the optimiser's and the
learning-rate schedule's state, the random number generators, the epoch and step, the loss
history, the settings and the command. ``vaedesk train --resume <out>.run`` continues from
it and ends with the epochs first asked for; a run that finishes removes its folder.
Loading uses PyTorch's ``weights_only`` reader (no pickled code is ever run).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vaedesk.support.atomic import atomic_path
from vaedesk.model.catalog import model_files
from vaedesk.training.config import TrainingError

FORMAT = "vaedesk-run"
VERSION = 1
CHECKPOINT_FILE = "checkpoint.pt"
SUMMARY_FILE = "run.json"  # what a run is and how far it got, readable without PyTorch
RUN_SUFFIX = ".run"
MAX_CHECKPOINT_BYTES = 4 * 1024**3  # far above any network a card allows, with its optimiser state


def run_dir_for(out: str | os.PathLike) -> Path:
    """Where a run that saves its model at ``out`` keeps its checkpoint."""
    weights = model_files(Path(out))[0]
    return weights.with_name(weights.stem + RUN_SUFFIX)


def save_checkpoint(run_dir: str | os.PathLike, state: dict[str, Any]) -> Path:
    """Write ``state`` (see :func:`vaedesk.training.loop.train`) as the run's checkpoint, atomically."""
    import torch

    folder = Path(run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / CHECKPOINT_FILE
    with atomic_path(target) as tmp:
        torch.save({"format": FORMAT, "version": VERSION, **state}, tmp)
    summary = {"epoch": state["epoch"], "epochs": state["config"]["epochs"], "config": state["config"],
               "command": state.get("command")}
    with atomic_path(folder / SUMMARY_FILE) as tmp:
        tmp.write_text(json.dumps(summary), encoding="utf-8")
    return target


@dataclass(frozen=True)
class InterruptedRun:
    """A run that stopped before its last epoch: where its checkpoint is, and how far it got."""

    folder: Path
    name: str  # the model it will save
    epoch: int
    epochs: int
    config: dict[str, Any]


def interrupted_runs(folder: str | os.PathLike) -> list[InterruptedRun]:
    """The runs in ``folder`` (a model folder) that can be resumed, newest first. Reads only
    each run's small summary; an unreadable one is left out."""
    runs = []
    try:
        entries = list(Path(folder).glob("*" + RUN_SUFFIX))
    except OSError:
        return []
    for entry in entries:
        try:
            summary = json.loads((entry / SUMMARY_FILE).read_text(encoding="utf-8"))
            if not (entry / CHECKPOINT_FILE).is_file():
                continue
            run = InterruptedRun(entry, entry.name.removesuffix(RUN_SUFFIX), int(summary["epoch"]),
                                 int(summary["epochs"]), dict(summary["config"]))
            mtime = (entry / CHECKPOINT_FILE).stat().st_mtime
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if run.epoch < run.epochs:
            runs.append((mtime, run))
    return [run for _mtime, run in sorted(runs, key=lambda pair: -pair[0])]


def load_checkpoint(run_dir: str | os.PathLike) -> dict[str, Any]:
    """The run's last checkpoint; TrainingError in one line for a missing or damaged one."""
    import pickle
    import zipfile

    import torch

    folder = Path(run_dir)
    path = folder / CHECKPOINT_FILE if folder.is_dir() else folder
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise TrainingError(f"{folder}: no run to resume here ({exc.strerror or exc}); a run keeps its "
                            f"checkpoint in <model>{RUN_SUFFIX}") from None
    if size > MAX_CHECKPOINT_BYTES:
        raise TrainingError(f"{path}: {size:,} bytes is too large for a vaedesk checkpoint")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError, zipfile.BadZipFile) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TrainingError(f"{path}: not a readable checkpoint ({first[:160]})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise TrainingError(f"{path}: not a vaedesk training checkpoint")
    if state.get("version") != VERSION:
        raise TrainingError(f"{path}: checkpoint version {state.get('version')!r:.20} is not {VERSION}")
    missing = [k for k in ("config", "out", "epoch", "step", "net", "optimizer", "schedule", "rng", "history")
               if k not in state]
    if missing:
        raise TrainingError(f"{path}: damaged checkpoint (no {', '.join(missing)})")
    return state


def remove_run(run_dir: str | os.PathLike) -> None:
    """Forget a finished run's checkpoint (its model is saved); a failure to delete is harmless."""
    folder = Path(run_dir)
    if folder.name.endswith(RUN_SUFFIX) and (folder / CHECKPOINT_FILE).exists():
        shutil.rmtree(folder, ignore_errors=True)
