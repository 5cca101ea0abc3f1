"""The model protocol: what compose, tracking and evaluation may ask of any generating model.

Coconet, the AR-CNN and the GAN implement it (their plain models in `models/` and their training
modules in `training/`); callers type against `ExampleWriter` (or `Infiller`, all compose's
harmoniser needs) and never branch on which model they hold. Pitches are (B, 4, T) MIDI numbers
(S, A, T, B; -1 = rest), `mask` is True on the cells to generate, and every random number comes
from the caller's `torch.Generator`, so one seed gives one result on any device.

A model's training-time samples (`generate_examples`) use its `sampler` settings, which its model
config takes from `conf/sampler/<model>.yaml`, the same file compose's stage reads: the samples
logged while training are drawn as users' pieces are. Weights files older than that field get the
packaged file's values (`packaged_sampler`).
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch
from omegaconf import OmegaConf
from torch import Tensor


@runtime_checkable
class Infiller(Protocol):
    """What compose's harmoniser must do: a trained model, or models chained
    (`compose.refine.DraftThenRefine`)."""

    @property
    def device(self) -> torch.device: ...

    def infill(
        self, pitches: Tensor, mask: Tensor, settings: Any, generator: torch.Generator | None
    ) -> Tensor:
        """(B, 4, T) pitches with the cells where `mask` is True generated under `settings` (the
        model's own settings type); every other cell exactly as given."""
        ...


@runtime_checkable
class ExampleWriter(Infiller, Protocol):
    """A generating model that also draws the examples logged while it trains."""

    def generate_examples(
        self, batch: dict[str, Tensor], count: int, generator: torch.Generator
    ) -> list[np.ndarray]:
        """(4, T) int16 pitch arrays from the first `count` windows of a validation batch."""
        ...


def packaged_sampler(name: str) -> dict:
    """The shipped `conf/sampler/<name>.yaml` as plain data: the settings users get."""
    path = files("deepchorale.conf") / "sampler" / f"{name}.yaml"
    return OmegaConf.to_container(OmegaConf.create(path.read_text()), resolve=True)
