"""Trains `models.coconet.CoconetNet` as an orderless NADE (Huang et al. 2017, "Counterpoint by
Convolution"; Magenta's coconet): hide a random subset of the (time, voice) cells, ask for their
pitches back, and evaluate by the chain rule over random orderings.
"""

from __future__ import annotations

import functools

import lightning.pytorch as pl
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from deepchorale.data.chorale import REST
from deepchorale.data.convert import ONEHOT_LOW
from deepchorale.models.coconet import Coconet, CoconetNet
from deepchorale.sampling.draws import uniform
from deepchorale.sampling.gibbs import GibbsSettings, pitch_onehot
from deepchorale.training.optimizers import optimizer_config


def scored_cells(pitches: Tensor, valid: Tensor) -> Tensor:
    """(B, 4, T) True on the cells Coconet predicts: sounding notes inside the piece."""
    return (pitches != REST) & valid.unsqueeze(1)


def cell_nll(logits: Tensor, pitches: Tensor, cells: Tensor) -> Tensor:
    """(B, 4, T) -log p(true pitch) on `cells`, 0 elsewhere (where there is no true pitch)."""
    target = torch.where(cells, pitches - ONEHOT_LOW, 0).unsqueeze(-1)
    nll = -F.log_softmax(logits.float(), dim=-1).gather(-1, target).squeeze(-1)
    return nll * cells


def random_ranks(cells: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """(B, 4, T): a uniformly random ordering 0..D-1 of each example's `cells`; other cells come after."""
    scores = uniform(tuple(cells.shape), generator, cells.device).masked_fill(~cells, 2.0)
    ranks = scores.flatten(1).argsort(1).argsort(1)
    return ranks.view_as(cells)


def nade_mask(cells: Tensor, fraction: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Hide k of the D cells of each example, k = floor(fraction * D) + 1, chosen at random.

    With `fraction` ~ U[0, 1) this is Coconet's orderless-NADE mask: k uniform on 1..D (Uria et
    al. 2014; Magenta's `OrderlessMaskoutMethod`). Taking `fraction` as an argument lets evaluation
    stratify it.
    """
    counts = cells.flatten(1).sum(1)
    hidden = (fraction * counts).floor().long() + 1
    return cells & (random_ranks(cells, generator) < hidden.view(-1, 1, 1))


def rescaled_nll(logits: Tensor, pitches: Tensor, cells: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
    """Per example D/|mask| * sum of the hidden cells' NLL, and D (the number of scored cells).

    Over k ~ U{1..D} and a random subset, the expectation of the first is the window's NLL summed
    over a random ordering's chain rule (Huang et al. 2017, eq. 3): a fair estimate from one pass.
    """
    counts = cells.flatten(1).sum(1)
    hidden = mask.flatten(1).sum(1).clamp(min=1)
    return cell_nll(logits, pitches, cells & mask).flatten(1).sum(1) * counts / hidden, counts


@torch.no_grad()
def ordering_nll(
    net: nn.Module,
    pitches: Tensor,
    cells: Tensor,
    generator: torch.Generator | None = None,
    cells_per_forward: int = 1,
) -> Tensor:
    """(B,) NLL in nats of each window by the chain rule over one random ordering of its cells.

    Coconet's evaluation (Huang et al. 2017, section 6): reveal the cells one at a time in a random
    order, scoring each given those before it; D model calls per window. `cells_per_forward` > 1
    scores a block of cells from one call given the earlier blocks, treating the cells of a block
    as independent: the exact NLL of a cruder model, so an overestimate of the per-cell figure.
    """
    ranks = random_ranks(cells, generator)
    onehot = pitch_onehot(torch.where(cells, pitches, REST))
    total = torch.zeros(len(pitches), device=pitches.device)
    for first in range(0, int(cells.flatten(1).sum(1).max()), cells_per_forward):
        hidden = cells & (ranks >= first)
        scored = hidden & (ranks < first + cells_per_forward)
        total += cell_nll(net(onehot, hidden), pitches, scored).flatten(1).sum(1)
    return total


class CoconetModule(pl.LightningModule):
    """Trains `CoconetNet` as an orderless NADE and samples it by annealed blocked Gibbs.

    Metrics (nats): train/loss, val/loss, test/loss are the orderless-NADE objective per scored
    cell. {val,test}/nll_note (per (time, voice) cell) and {val,test}/nll_frame (summed over the
    voices of a time step: Coconet's unit, 0.57 on JSB) estimate the NLL under random orderings:
    on val from `val_mask_strata` stratified masks per window (fair but noisy; val/nll_note equals
    val/loss), on test by the exact chain rule (`ordering_nll`, 4 T model calls per batch).
    """

    def __init__(
        self,
        net: CoconetNet,
        optimizer: functools.partial,
        scheduler: functools.partial | None = None,
        compile: bool = False,
        val_mask_strata: int = 8,
        test_cells_per_forward: int = 1,
        eval_seed: int = 0,
        sampler: dict | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(logger=False, ignore=["net", "optimizer", "scheduler"])
        # Hydra partials are code, not data: kept off the checkpoint so it loads with weights_only=True.
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        self.net = net

    def forward(self, onehot: Tensor, mask: Tensor) -> Tensor:
        return self.net(onehot, mask)

    def setup(self, stage: str) -> None:
        if self.hparams.compile and stage == "fit":
            self.net.compile()  # in place, so state_dict keys stay those of the plain net

    def training_step(self, batch: dict[str, Tensor], batch_idx: int) -> Tensor:
        pitches = batch["pitches"]
        cells = scored_cells(pitches, batch["valid"])
        mask = nade_mask(cells, torch.rand(len(pitches), device=self.device))
        logits = self.net(pitch_onehot(torch.where(cells, pitches, REST)), mask)
        nats, counts = rescaled_nll(logits, pitches, cells, mask)
        # Divide by the batch's cell count, not its window count (as Magenta's loss_total), so the
        # loss reads in nats per note whatever the window length or the share of rests.
        loss = nats.sum() / counts.sum().clamp(min=1)
        self.log("train/loss", loss, on_step=True, on_epoch=True, prog_bar=True, batch_size=len(pitches))
        return loss

    def evaluate(self, batch: dict[str, Tensor], batch_idx: int, stage: str) -> None:
        # A fixed seed per batch: the same masks and orderings every epoch, so changes are the model's.
        generator = torch.Generator().manual_seed(self.hparams.eval_seed + batch_idx)
        pitches = batch["pitches"]
        cells = scored_cells(pitches, batch["valid"])
        onehot = pitch_onehot(torch.where(cells, pitches, REST))
        strata = self.hparams.val_mask_strata
        estimate = torch.zeros(len(pitches), device=self.device)
        for stratum in range(strata):
            fraction = (stratum + uniform((len(pitches),), generator, self.device)) / strata
            mask = nade_mask(cells, fraction, generator)
            estimate += rescaled_nll(self.net(onehot, mask), pitches, cells, mask)[0] / strata
        notes = max(int(cells.sum()), 1)
        self.log(f"{stage}/loss", estimate.sum() / notes, batch_size=notes, sync_dist=True)
        if stage == "test":
            per_window = ordering_nll(
                self.net, pitches, cells, generator, self.hparams.test_cells_per_forward
            )
        else:
            per_window = estimate
        frames = max(int(cells.any(1).sum()), 1)  # time steps with at least one note
        self.log(f"{stage}/nll_note", per_window.sum() / notes, batch_size=notes, sync_dist=True)
        self.log(f"{stage}/nll_frame", per_window.sum() / frames, batch_size=frames, sync_dist=True)

    def validation_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        self.evaluate(batch, batch_idx, "val")

    def test_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        self.evaluate(batch, batch_idx, "test")

    def configure_optimizers(self):
        return optimizer_config(self.parameters(), self.optimizer_factory, self.scheduler_factory)

    def sampling_model(self) -> Coconet:
        """The trained model as inference holds it, sharing this module's net."""
        return Coconet(self.net, self.hparams.sampler)

    def infill(self, pitches: Tensor, mask: Tensor, settings: GibbsSettings, generator, **options) -> Tensor:
        return self.sampling_model().infill(pitches, mask, settings, generator, **options)

    def generate_examples(
        self, batch: dict[str, Tensor], count: int, generator: torch.Generator
    ) -> list[np.ndarray]:
        return self.sampling_model().generate_examples(batch, count, generator)
