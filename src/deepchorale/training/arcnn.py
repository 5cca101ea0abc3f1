"""Trains `models.arcnn.ArcnnNet` (AWS DeepComposer's AR-CNN) on corrupted chorale windows."""

from __future__ import annotations

import functools

import lightning.pytorch as pl
import numpy as np
import torch
from torch import Tensor

from deepchorale.data.convert import pitches_from_pianoroll
from deepchorale.models.arcnn import Arcnn, ArcnnNet, arcnn_logits
from deepchorale.sampling.arcnn_resample import ResampleSettings, resample
from deepchorale.training.arcnn_objective import corrupt, softmax_kl_loss
from deepchorale.training.optimizers import optimizer_config


class ArcnnModule(pl.LightningModule):
    """Trains `ArcnnNet` on corrupted chorale windows; restores and resamples rolls with it.

    Metrics: {train,val,test}/loss, the per-window KL above (val/test corruption from a fixed seed
    per batch, so epochs compare). {val,test}/precision, recall, f1: note-level (note = active pixel)
    scores of rolls restored by `eval_iterations` resampler steps from a milder, fixed corruption
    (`eval_remove` of the notes removed, `eval_add` of the empty pixels added), summed over the
    epoch; {val,test}/f1_corrupted is the same score of the corrupted input, the bar to clear.
    """

    def __init__(
        self,
        net: ArcnnNet,
        optimizer: functools.partial,
        scheduler: functools.partial | None = None,
        remove_max: float = 1.0,
        add_fraction: tuple[float, float] = (0.01, 0.015),
        channels_last: bool = True,
        compile: bool = False,
        eval_remove: float = 0.2,
        eval_add: float = 0.002,
        eval_iterations: int = 32,
        sample_iterations: int = 100,
        max_notes_to_add: int = 500,
        max_remove_fraction: float = 1.0,
        temperature: float = 1.0,
        eval_seed: int = 0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(logger=False, ignore=["net", "optimizer", "scheduler"])
        # Hydra partials are code, not data: kept off the checkpoint so it loads with weights_only=True.
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        self.net = net.to(memory_format=torch.channels_last) if channels_last else net
        self.counts: dict[str, Tensor] = {}

    def forward(self, roll: Tensor) -> Tensor:
        """(B, T, P) roll -> (B, T, P) logits."""
        return arcnn_logits(self.net, roll, self.hparams.channels_last)

    def setup(self, stage: str) -> None:
        if self.hparams.compile and stage == "fit":
            self.net.compile()  # in place, so state_dict keys stay those of the plain net

    def loss(self, batch: dict[str, Tensor], generator: torch.Generator | None = None) -> Tensor:
        target, valid = batch["pianoroll"], batch["valid"]
        corrupted = corrupt(
            target, valid, (0.0, self.hparams.remove_max), self.hparams.add_fraction, generator
        )
        return softmax_kl_loss(self(corrupted), corrupted, target, valid)

    def training_step(self, batch: dict[str, Tensor], batch_idx: int) -> Tensor:
        loss = self.loss(batch)
        self.log(
            "train/loss", loss, on_step=True, on_epoch=True, prog_bar=True, batch_size=len(batch["valid"])
        )
        return loss

    def restore(
        self, roll: Tensor, valid: Tensor, iterations: int, generator: torch.Generator | None
    ) -> Tensor:
        """(B, T, P) roll edited by the resampler with this module's quotas; padding stays empty."""
        was_training = self.training
        self.eval()  # batch norm must use its running statistics, dropout must be off
        try:
            return resample(
                self,
                roll,
                iterations=iterations,
                max_notes_to_add=self.hparams.max_notes_to_add,
                max_remove_fraction=self.hparams.max_remove_fraction,
                temperature=self.hparams.temperature,
                generator=generator,
                editable=valid.unsqueeze(-1),
            )
        finally:
            self.train(was_training)

    def eval_corruption(self, batch: dict[str, Tensor], generator: torch.Generator) -> Tensor:
        remove, add = self.hparams.eval_remove, self.hparams.eval_add
        return corrupt(batch["pianoroll"], batch["valid"], (remove, remove), (add, add), generator)

    def evaluate(self, batch: dict[str, Tensor], batch_idx: int, stage: str) -> None:
        # A fixed seed per batch: the same corruption every epoch, so changes are the model's.
        generator = torch.Generator().manual_seed(self.hparams.eval_seed + batch_idx)
        self.log(f"{stage}/loss", self.loss(batch, generator), batch_size=len(batch["valid"]), sync_dist=True)
        target, valid = batch["pianoroll"].bool(), batch["valid"].unsqueeze(-1)
        corrupted = self.eval_corruption(batch, generator)
        restored = self.restore(corrupted, batch["valid"], self.hparams.eval_iterations, generator)
        counts = self.counts.setdefault(stage, torch.zeros(6, dtype=torch.long, device=self.device))
        for offset, roll in ((0, restored.bool() & valid), (3, corrupted.bool() & valid)):
            true_positives = (roll & target).sum()
            counts[offset : offset + 3] += torch.stack([true_positives, roll.sum(), target.sum()])

    def log_scores(self, stage: str) -> None:
        counts = self.counts.pop(stage, None)
        if counts is None:
            return
        counts = self.all_gather(counts).reshape(-1, 6).sum(0).double()
        for suffix, (hits, predicted, actual) in (("", counts[:3]), ("_corrupted", counts[3:])):
            precision = hits / predicted.clamp(min=1)
            recall = hits / actual.clamp(min=1)
            f1 = 2 * precision * recall / (precision + recall).clamp(min=1e-12)
            if not suffix:
                self.log(f"{stage}/precision", precision.float())
                self.log(f"{stage}/recall", recall.float())
            self.log(f"{stage}/f1{suffix}", f1.float())

    def validation_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        self.evaluate(batch, batch_idx, "val")

    def on_validation_epoch_end(self) -> None:
        self.log_scores("val")

    def test_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        self.evaluate(batch, batch_idx, "test")

    def on_test_epoch_end(self) -> None:
        self.log_scores("test")

    def configure_optimizers(self):
        return optimizer_config(self.parameters(), self.optimizer_factory, self.scheduler_factory)

    def infill(
        self, pitches: Tensor, mask: Tensor, settings: ResampleSettings, generator: torch.Generator | None
    ) -> Tensor:
        return Arcnn(self.net, self.hparams.channels_last).infill(pitches, mask, settings, generator)

    @torch.no_grad()
    def generate_examples(self, batch: dict[str, Tensor], count: int, generator: torch.Generator) -> list:
        """Corrupt the first `count` windows (as for val/f1), restore them with DeepComposer's
        default knobs (`sample_iterations`, 100) and split the rolls into voices: (4, T) int16
        pitch arrays, T the window's valid steps."""
        batch = {key: value[:count].to(self.device) for key, value in batch.items()}
        corrupted = self.eval_corruption(batch, generator)
        restored = self.restore(corrupted, batch["valid"], self.hparams.sample_iterations, generator)
        lengths = batch["valid"].sum(1).tolist()
        return [
            pitches_from_pianoroll(roll[:length].cpu().numpy()).astype(np.int16)
            for roll, length in zip(restored, lengths)
        ]
