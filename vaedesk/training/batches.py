"""A run's data and each step's batch: the training images with what the distortions draw
on (uniform-pen versions, synthetic drawings paired with digits), the test images, and
the (inputs, targets) pair an optimiser step learns from."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from vaedesk.data.datasets import class_names, dataset_name, load_split
from vaedesk.data.penstyle import cached_pen_style
from vaedesk.data.sketch_pairs import sketch_pairs
from vaedesk.training.augment import augment, jitter
from vaedesk.training.config import TrainConfig, TrainingError
from vaedesk.training.distributed import Processes


@dataclass
class TrainingData:
    """The images a run learns from and is measured on."""

    train: torch.Tensor  # (N, 28, 28) in [0, 1], on the CPU where batches are made
    test: torch.Tensor  # on the training device, where the epochs' test loss is measured
    pen: torch.Tensor | None  # each training image re-drawn with a uniform pen, when a distortion uses it
    drawn: torch.Tensor | None  # synthetic drawings of digits (--sketches) ...
    drawn_targets: torch.Tensor | None  # ... and the training image each one is asked to become

    @classmethod
    def load(cls, config: TrainConfig, device: torch.device) -> TrainingData:
        """Read the data ``config`` names. TrainingError for synthetic drawings asked of data
        that is not digits."""
        categories = config.category_list()
        train_split = load_split("train", config.data_dir, config.limit, categories=categories)
        test_split = load_split("test", config.data_dir, categories=categories)
        pen = None
        if (config.augment > 0 and config.pen_style > 0) or config.sketches > 0:
            pen = torch.from_numpy(cached_pen_style(train_split.images))
        drawn = drawn_targets = None
        if config.sketches > 0:
            if class_names(config.data_dir) is not None:
                raise TrainingError("--sketches draws digits: it needs digit data such as MNIST, not "
                                    f"{dataset_name(config.data_dir)}")
            assert pen is not None  # loaded above whenever there are sketches
            pool, targets = sketch_pairs(train_split.images, train_split.labels, pen.numpy())
            drawn, drawn_targets = torch.from_numpy(pool), torch.from_numpy(targets)
        return cls(torch.from_numpy(train_split.images), torch.from_numpy(test_split.images).to(device), pen,
                   drawn, drawn_targets)

    def batch(self, rows: torch.Tensor, generator: torch.Generator, config: TrainConfig,
              processes: Processes) -> tuple[torch.Tensor, torch.Tensor]:
        """The (inputs, targets) of the training images ``rows``: this process's share of
        them, on the CPU. Every process draws the same random numbers for the whole batch."""
        targets = self.train[rows]
        # First: the jittered digit is the target, and what the distortions start from.
        targets = jitter(targets, generator, config.jitter)
        # Denoising criterion: the encoder sees a distorted digit, the decoder is asked for
        # the clean one. The encoder learns to place unusual drawings with their class while
        # the decoder only ever models real MNIST digits, so augmentation costs the clean
        # test ELBO little.
        if config.augment > 0:
            pen = self.pen[rows] if self.pen is not None and config.pen_style > 0 else None
            inputs = augment(targets, generator, config.augment, pen, config.pen_style, config.elastic)
        else:
            inputs = targets
        if self.drawn is not None and self.drawn_targets is not None:  # set together
            # Some rows become synthetic drawings, asked to reconstruct their paired digit.
            chosen = (torch.rand(len(targets), generator=generator) < config.sketches).nonzero().squeeze(1)
            if chosen.numel():
                picks = torch.randint(len(self.drawn), (chosen.numel(),), generator=generator)
                inputs, targets = inputs.clone(), targets.clone()
                inputs[chosen] = self.drawn[picks]
                targets[chosen] = self.train[self.drawn_targets[picks]]
        if processes.world > 1:
            inputs, targets = inputs[processes.rank :: processes.world], targets[processes.rank :: processes.world]
        return inputs, targets
