"""Trains `models.articulation.ArticulationNet`: which held lower-voice notes Bach strikes again.

Binary cross-entropy of the net's re-strike logit on every held cell of the alto, tenor and bass
inside the piece (the soprano's onsets are the tune's, given). Metrics (nats per held cell):
{train,val,test}/loss, and {val,test}/loss_base, the same loss of the best constant (the split's
own re-strike rate): what the net must beat for its context to matter; {val,test}/restrike_rate,
the share of held cells Bach re-strikes, and {val,test}/predicted_rate, the net's mean probability.
"""

from __future__ import annotations

import functools

import lightning.pytorch as pl
import torch
import torch.nn.functional as F
from torch import Tensor

from deepchorale.models.articulation import ArticulationNet, articulation_features, moves_and_holds
from deepchorale.training.optimizers import optimizer_config


def held_cells(batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
    """(B, 4, T) the lower voices' held cells inside the piece, and whether Bach struck them again."""
    _, holds = moves_and_holds(batch["pitches"], batch["onsets"][:, 0])
    cells = holds & batch["valid"].unsqueeze(1)
    cells[:, 0] = False
    return cells, batch["onsets"] & cells


class ArticulationModule(pl.LightningModule):
    def __init__(
        self, net: ArticulationNet, optimizer: functools.partial, scheduler: functools.partial | None = None
    ) -> None:
        super().__init__()
        self.save_hyperparameters(logger=False, ignore=["net", "optimizer", "scheduler"])
        # Hydra partials are code, not data: kept off the checkpoint so it loads with weights_only=True.
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        self.net = net
        self.sums: dict[str, Tensor] = {}

    def logits(self, batch: dict[str, Tensor]) -> Tensor:
        return self.net(articulation_features(batch["pitches"], batch["onsets"][:, 0], batch["phase"]))

    def training_step(self, batch: dict[str, Tensor], batch_idx: int) -> Tensor:
        cells, restruck = held_cells(batch)
        logits = self.logits(batch).float()
        loss = F.binary_cross_entropy_with_logits(logits[cells], restruck[cells].float())
        self.log("train/loss", loss, on_step=True, on_epoch=True, prog_bar=True, batch_size=int(cells.sum()))
        return loss

    def evaluate(self, batch: dict[str, Tensor], stage: str) -> None:
        cells, restruck = held_cells(batch)
        logits = self.logits(batch).float()[cells]
        target = restruck[cells].float()
        nats = F.binary_cross_entropy_with_logits(logits, target, reduction="sum")
        sums = self.sums.setdefault(stage, torch.zeros(4, dtype=torch.float64, device=self.device))
        sums += torch.stack(
            [nats, target.sum(), torch.sigmoid(logits).sum(), torch.tensor(len(target))]
        ).double()

    def log_split(self, stage: str) -> None:
        sums = self.sums.pop(stage, None)
        if sums is None or sums[3] == 0:
            return
        nats, restrikes, predicted, cells = self.all_gather(sums).reshape(-1, 4).sum(0)
        rate = (restrikes / cells).clamp(1e-6, 1 - 1e-6)
        base = -(rate * rate.log() + (1 - rate) * (1 - rate).log())  # the best constant's nats per cell
        self.log(f"{stage}/loss", float(nats / cells))
        self.log(f"{stage}/loss_base", float(base))
        self.log(f"{stage}/restrike_rate", float(restrikes / cells))
        self.log(f"{stage}/predicted_rate", float(predicted / cells))

    def validation_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        self.evaluate(batch, "val")

    def on_validation_epoch_end(self) -> None:
        self.log_split("val")

    def test_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        self.evaluate(batch, "test")

    def on_test_epoch_end(self) -> None:
        self.log_split("test")

    def configure_optimizers(self):
        return optimizer_config(self.parameters(), self.optimizer_factory, self.scheduler_factory)
