"""The one training pipeline (run_training) that the command line, the studio's child and
torchrun use: its events in order, a stop, a resume, its errors; torchrun's environment; the
studio's preset."""

from __future__ import annotations

import numpy as np
import pytest

from vaedesk.data.datasets import SPLIT_FILES, load_split
from vaedesk.data.idx import write_idx
from vaedesk.model.catalog import model_files
from vaedesk.model.model import load_model
from vaedesk.training.checkpoint import load_checkpoint
from vaedesk.training.config import PRESETS, TrainConfig, TrainingError
from vaedesk.training.distributed import Processes
from vaedesk.training.events import (
    EpochSaved,
    Evaluating,
    Progress,
    Saved,
    Started,
    StepDone,
    Trained,
)
from vaedesk.training.run import TrainingRequest, run_training

SMALL = dict(batch_size=64, width=4, hidden=16, augment=0.0)  # no pen-style images to draw first


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    """A data folder of 128 training digits (two steps an epoch) and 64 test digits: the
    evaluation after a run takes a moment, not the full test set's time."""
    folder = tmp_path_factory.mktemp("digits")
    for split, count in (("train", 128), ("test", 64)):
        raw = load_split(split, limit=count, as_uint8=True)
        images, labels = SPLIT_FILES[split]
        write_idx(folder / images, raw.images)
        write_idx(folder / labels, raw.labels.astype(np.uint8))
    return str(folder)


def test_a_run_tells_its_start_steps_epochs_and_saved_model_in_order(tmp_path, small_data):
    events, eval_mode = [], []

    def hear(event):
        events.append(event)
        if isinstance(event, StepDone):
            eval_mode.append(not event.net.training)

    config = TrainConfig(epochs=2, data_dir=small_data, **SMALL)
    request = TrainingRequest(config=config, out=tmp_path / "m", command="vaedesk train --epochs 2",
                              save_every_epoch=True, report_every=1)
    outcome = run_training(request, hear)

    started = events[0]
    assert isinstance(started, Started) and started.out == tmp_path / "m" and started.resumed_after == 0
    assert started.config == config and started.run_dir == tmp_path / "m.run"
    steps_done = [e for e in events if isinstance(e, StepDone)]
    assert [e.step for e in steps_done] == [1, 2, 3, 4] and all(eval_mode)
    assert {(e.steps_per_epoch, e.steps) for e in steps_done} == {(2, 4)}  # the run's plan, from the first step
    reports = [e for e in events if isinstance(e, Progress)]
    assert [r.step for r in reports] == [1, 2, 3, 4] and [r.epoch_done for r in reports] == [False, True] * 2
    # Each step's StepDone comes before its report, and each epoch's report before its EpochSaved.
    order = [type(e).__name__ for e in events[1:]]
    assert order == ["StepDone", "Progress"] * 2 + ["EpochSaved"] + ["StepDone", "Progress"] * 2 + [
        "EpochSaved", "Trained", "Evaluating", "Saved"]
    weights = model_files(tmp_path / "m")[0]
    assert [(e.epoch, e.model_path) for e in events if isinstance(e, EpochSaved)] == [(1, weights), (2, weights)]
    trained, evaluating, saved = events[-3:]
    assert isinstance(trained, Trained) and not trained.stopped and trained.model is outcome.model
    assert isinstance(evaluating, Evaluating) and evaluating.path == weights
    assert isinstance(saved, Saved) and saved.path == outcome.path == weights
    assert saved.metrics == outcome.model.card["metrics"] and "neg_elbo" in saved.metrics
    assert load_model(weights).card["command"] == "vaedesk train --epochs 2"
    assert not outcome.stopped and not outcome.run_dir.exists()  # a finished run forgets its checkpoint
    assert config == TrainConfig(epochs=2, data_dir=small_data, **SMALL)  # the request's settings are left as they were


def test_a_stopped_run_is_not_saved_keeps_its_checkpoint_and_resumes_to_the_end(tmp_path, small_data):
    steps = []
    outcome = run_training(
        TrainingRequest(config=TrainConfig(epochs=3, data_dir=small_data, **SMALL), out=tmp_path / "m"),
        lambda event: steps.append(event.step) if isinstance(event, StepDone) else None,
        should_stop=lambda: len(steps) >= 3)
    assert outcome.stopped and outcome.path is None and outcome.model.card["stopped_early"]
    assert not model_files(tmp_path / "m")[1].exists()
    assert load_checkpoint(outcome.run_dir)["epoch"] == 1

    events = []
    resumed = run_training(TrainingRequest(resume=outcome.run_dir), events.append)
    assert events[0].resumed_after == 1 and events[0].out == tmp_path / "m"  # the run's own destination
    assert [e.epoch for e in events if isinstance(e, EpochSaved)] == [2, 3]
    assert resumed.path == model_files(tmp_path / "m")[0] and resumed.model.card["resumed"] == 1
    assert resumed.model.card["epochs"] == 3 and not outcome.run_dir.exists()


@pytest.mark.parametrize("request_of, message", [
    (lambda tmp: TrainingRequest(config=TrainConfig(data_dir=str(tmp / "none"), **SMALL), out=tmp / "m"),
     "data folder not found"),
    (lambda tmp: TrainingRequest(config=TrainConfig(limit=64, **SMALL), out=tmp / "m",
                                 initial=str(tmp / "no-model")),
     "no-model"),
    (lambda tmp: TrainingRequest(resume=tmp / "m.run"), "no run to resume here"),
])
def test_whatever_stops_a_run_is_one_training_error(tmp_path, request_of, message):
    with pytest.raises(TrainingError, match=message):
        run_training(request_of(tmp_path))
    assert not (tmp_path / "m.json").exists()


def test_a_destination_that_cannot_take_the_model_is_refused_before_the_run(tmp_path):
    (tmp_path / "file").write_text("")
    heard = []
    with pytest.raises(TrainingError, match="a file is in the way"):
        run_training(TrainingRequest(config=TrainConfig(limit=64, **SMALL), out=tmp_path / "file" / "m"),
                     heard.append)
    assert heard == []  # not started


@pytest.mark.parametrize("fields, message", [
    ({}, "either its settings or a run to resume"),
    ({"config": TrainConfig(), "resume": "m.run"}, "either its settings or a run to resume"),
    ({"resume": "m.run", "initial": "mnist-vae-2d"}, "not from another model"),
    ({"config": TrainConfig(), "threads": 0}, "threads must be"),
    ({"config": TrainConfig(), "report_every": 0}, "report_every must be"),
])
def test_a_request_that_cannot_be_run_is_refused_where_it_is_made(fields, message):
    with pytest.raises(TrainingError, match=message):
        TrainingRequest(**fields)


def test_torchruns_environment_is_read_in_one_place():
    assert Processes.from_environment({}) == Processes() and Processes().is_main
    assert Processes.from_environment({"WORLD_SIZE": "1", "RANK": "0"}) == Processes()
    torchrun = {"WORLD_SIZE": "4", "RANK": "3", "LOCAL_RANK": "1", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"}
    processes = Processes.from_environment(torchrun)
    assert processes == Processes(rank=3, world=4, local_rank=1) and not processes.is_main
    assert processes.launcher() == "torchrun --standalone --nproc-per-node 4 -m " and Processes().launcher() == ""
    for broken, message in [({"WORLD_SIZE": "two"}, "WORLD_SIZE must be a whole number"),
                            ({"MASTER_ADDR": ""}, "MASTER_ADDR is not set"),
                            ({"RANK": "4"}, "RANK 4 is not one of the 4 processes'")]:
        with pytest.raises(TrainingError, match=message):
            Processes.from_environment({**torchrun, **broken})


def test_the_studio_preset_is_the_shipped_recipe_and_the_command_lines_default_stays():
    studio = TrainConfig.preset("studio", epochs=3)
    assert (studio.augment, studio.elastic, studio.sketches, studio.epochs) == (0.4, 1.5, 0.1, 3)
    assert TrainConfig.preset("studio", data_dir="/data/fashion").sketches == 0.0  # drawings of digits only
    assert TrainConfig.preset("studio", augment=0.0).augment == 0.0
    assert TrainConfig().augment == 0.5 and set(PRESETS) == {"studio"}
    with pytest.raises(TrainingError, match="no training preset named 'fast'"):
        TrainConfig.preset("fast")
