"""Trains the judges' networks (`judge.net.JudgeNet`, `judge.register_net.RegisterJudgeNet`) on
balanced batches of Bach against the negative families (`judge.data.JudgeDataModule`)."""

from __future__ import annotations

import functools

import lightning.pytorch as pl
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from deepchorale.judge.report import auc
from deepchorale.training.optimizers import optimizer_config


def balanced_bce(logits: Tensor, families: Tensor) -> Tensor:
    """Binary cross-entropy (Bach = family 0 = positive) weighted so that the positives count for
    half and every negative family present for an equal share of the other half."""
    labels = (families == 0).to(logits.dtype)
    losses = F.binary_cross_entropy_with_logits(logits, labels, reduction="none")
    present = families.unique()
    family_means = torch.stack([losses[families == f].mean() for f in present])
    negatives = family_means[present != 0]
    positives = family_means[present == 0]
    halves = [part.mean() for part in (positives, negatives) if len(part)]
    return torch.stack(halves).mean()


class JudgeModule(pl.LightningModule):
    """Trains a judge network on balanced batches (from `JudgeDataModule`) with `balanced_bce`.

    Metrics: train/loss; val/loss and test/loss (balanced BCE over the whole split's windows);
    {val,test}/auc/<family> (AUC of Bach windows against that family's) and {val,test}/auc, the
    mean over families, which is the AUC against a family-balanced mix of negatives. Batches carry
    family ids; their names are the datamodule's `family_names_by_id`, so that the net and its
    loading need nothing of the code that makes the negatives.
    """

    def __init__(
        self,
        net: nn.Module,
        optimizer: functools.partial,
        scheduler: functools.partial | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(logger=False, ignore=["net", "optimizer", "scheduler"])
        self.net = net
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        self.outputs: list[tuple[Tensor, Tensor]] = []

    def forward(self, rolls: Tensor, valid: Tensor | None = None) -> Tensor:
        return self.net(rolls, valid)[0]

    def training_step(self, batch: dict[str, Tensor], batch_idx: int) -> Tensor:
        loss = balanced_bce(self(batch["rolls"], batch["valid"]).float(), batch["family"])
        self.log(
            "train/loss", loss, on_step=True, on_epoch=True, prog_bar=True, batch_size=len(batch["family"])
        )
        return loss

    def _collect(self, batch: dict[str, Tensor]) -> None:
        logits = self(batch["rolls"], batch["valid"]).float()
        self.outputs.append((logits.detach().cpu(), batch["family"].cpu()))

    def validation_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        self._collect(batch)

    def test_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        self._collect(batch)

    def _log_split(self, stage: str) -> None:
        if not self.outputs:
            return
        logits = torch.cat([o[0] for o in self.outputs])
        families = torch.cat([o[1] for o in self.outputs])
        self.outputs.clear()
        self.log(f"{stage}/loss", balanced_bce(logits, families))
        positive = logits[families == 0].numpy()
        names = self.trainer.datamodule.family_names_by_id
        aucs = {}
        for family in families.unique().tolist():
            if family != 0 and len(positive):
                aucs[names[family]] = auc(positive, logits[families == family].numpy())
        for name, value in aucs.items():
            self.log(f"{stage}/auc/{name}", value)
        if aucs:
            self.log(f"{stage}/auc", float(np.mean(list(aucs.values()))), prog_bar=stage == "val")

    def on_validation_epoch_end(self) -> None:
        self._log_split("val")

    def on_test_epoch_end(self) -> None:
        self._log_split("test")

    def configure_optimizers(self):
        return optimizer_config(self.parameters(), self.optimizer_factory, self.scheduler_factory)
