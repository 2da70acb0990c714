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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vaedesk.model.catalog import model_files
from vaedesk.support.atomic import atomic_path
from vaedesk.training.config import TrainConfig, TrainingError

if TYPE_CHECKING:  # PyTorch is loaded where a checkpoint is written or read, not to list runs
    import torch

    from vaedesk.training.distributed import Processes
    from vaedesk.training.optimisation import Optimisation

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
    """Write ``state`` (see :func:`write_checkpoint`) as the run's checkpoint, atomically;
    TrainingError when the folder cannot take it."""
    import torch

    folder = Path(run_dir)
    target = folder / CHECKPOINT_FILE
    summary = {"epoch": state["epoch"], "epochs": state["config"]["epochs"], "config": state["config"],
               "command": state.get("command")}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            torch.save({"format": FORMAT, "version": VERSION, **state}, tmp)
        with atomic_path(folder / SUMMARY_FILE) as tmp:
            tmp.write_text(json.dumps(summary), encoding="utf-8")
    except OSError as exc:
        raise TrainingError(f"cannot write the run's checkpoint in {folder} ({exc.strerror or exc})") from None
    return target


def write_checkpoint(run_dir: str | os.PathLike, config: TrainConfig, command: str | None,
                     ancestor: dict[str, Any] | None, epoch: int, step: int, history: list[dict[str, float]],
                     seconds: float, resumed: int, optimisation: Optimisation, generator: torch.Generator) -> Path:
    """The checkpoint of a run after ``epoch``: its settings and command, the weights (and
    their average), the optimiser and schedule, the random streams and the loss history."""
    import torch

    rng: dict[str, torch.Tensor | list[torch.Tensor]] = {
        "torch": torch.random.get_rng_state(), "generator": generator.get_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    average = optimisation.average
    return save_checkpoint(run_dir, {
        "config": asdict(config), "command": command, "out": os.fspath(run_dir),
        "initial_card": ancestor,
        "epoch": epoch, "step": step, "history": history, "seconds": seconds, "resumed": resumed,
        "net": {k: v.detach().to("cpu") for k, v in optimisation.net.state_dict().items()},
        **({} if average is None else
           {"average": {k: v.detach().to("cpu") for k, v in average.net.state_dict().items()}}),
        "optimizer": optimisation.optimizer.state_dict(), "schedule": optimisation.schedule.state_dict(),
        "rng": rng,
    })


def restore_checkpoint(state: dict[str, Any], optimisation: Optimisation, generator: torch.Generator,
                       processes: Processes) -> tuple[int, int, float, int]:
    """Load a checkpoint's weights, optimiser, schedule and random streams; returns (first
    epoch to run, steps done, seconds spent, times resumed)."""
    import torch

    try:
        optimisation.net.load_state_dict(state["net"])
        if optimisation.average is not None:
            optimisation.average.net.load_state_dict(state["average"])
        optimisation.optimizer.load_state_dict(state["optimizer"])
        optimisation.schedule.load_state_dict(state["schedule"])
        generator.set_state(state["rng"]["generator"])
        if processes.is_main:
            torch.random.set_rng_state(state["rng"]["torch"])
        else:  # only the first process's stream was saved; the others start a fresh one per resume
            torch.manual_seed(hash((int(state["config"]["seed"]), processes.rank, int(state["epoch"]))) % 2**63)
        if "cuda" in state["rng"] and torch.cuda.is_available() and processes.world == 1:
            torch.cuda.set_rng_state_all(state["rng"]["cuda"])
    except (RuntimeError, KeyError, TypeError, ValueError) as exc:
        raise TrainingError(f"the checkpoint does not fit this run: {str(exc).splitlines()[0][:200]}") from None
    epoch, step = int(state["epoch"]), int(state["step"])
    return epoch + 1, step, float(state.get("seconds", 0.0)), int(state.get("resumed", 0)) + 1


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
