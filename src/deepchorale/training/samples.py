"""A training callback: what a model generates while it trains, as pictures, audio, MIDI and scores."""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import torch
from lightning.pytorch.loggers import WandbLogger

from deepchorale.atomic import atomic_path
from deepchorale.data.chorale import chorale_from_pitches
from deepchorale.data.convert import to_midi
from deepchorale.evaluation.metrics import compute_metrics
from deepchorale.judge.scoring import judge_probabilities
from deepchorale.models.protocol import ExampleWriter
from deepchorale.models.weights import load_model
from deepchorale.render import pianoroll_image, synthesize

SAMPLE_METRICS = ("triad_or_seventh_rate", "parallel_fifths", "parallel_octaves", "voice_crossing_rate",
                  "scale_consistency", "pitch_class_entropy")  # fmt: skip


class GeneratedSamples(pl.Callback):
    """Every `every_n_epochs` validation epochs, let the model generate from the first validation
    windows (`generate_examples`, the generator protocol every model implements) and log them: a
    W&B table of piano-roll pictures and FluidSynth audio, MIDI files under `output_dir`, and what
    the studio would hear in numbers: `samples/judge_score` (100 P(Bach) by the judge weights in
    `judge`, when that file exists) and key musical metrics as `samples/<metric>`, so sweeps can
    select on them, not only on the loss. `extra_metrics` names more `compute_metrics` keys to log
    the same way (the GAN experiments add MuseGAN's EB, UPC, QN and TD)."""

    def __init__(
        self,
        output_dir: str,
        every_n_epochs: int = 1,
        count: int = 2,
        seed: int = 0,
        qpm: float = 80.0,
        sample_rate: int = 22050,
        audio: bool = True,
        judge: str | None = None,
        extra_metrics: tuple[str, ...] | list[str] = (),
    ) -> None:
        self.output_dir = Path(output_dir)
        self.metrics = (*SAMPLE_METRICS, *extra_metrics)
        self.judge_path = Path(judge) if judge else None
        self.judge = None
        self.every_n_epochs, self.count, self.seed = every_n_epochs, count, seed
        self.qpm, self.sample_rate, self.audio = qpm, sample_rate, audio
        self.batch: dict[str, torch.Tensor] | None = None

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0):
        if batch_idx == 0 and dataloader_idx == 0:
            self.batch = {key: value[: self.count] for key, value in batch.items()}

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: ExampleWriter) -> None:
        epoch = trainer.current_epoch
        if trainer.sanity_checking or self.batch is None or epoch % self.every_n_epochs:
            return
        generator = torch.Generator(device=pl_module.device).manual_seed(self.seed)
        with torch.no_grad():
            samples = pl_module.generate_examples(self.batch, self.count, generator)
        rows = []
        for index, pitches in enumerate(samples):
            chorale = chorale_from_pitches(f"epoch{epoch}-{index}", np.asarray(pitches))
            midi = to_midi(chorale, qpm=self.qpm)
            path = self.output_dir / "samples" / f"epoch_{epoch:03d}" / f"sample_{index}.mid"
            with atomic_path(path) as temporary:
                midi.write(str(temporary))
            rows.append((epoch, index, chorale, midi))
        self.log_scores(pl_module, [chorale for _, _, chorale, _ in rows])
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                self.log_table(logger, rows)

    def log_scores(self, pl_module: pl.LightningModule, chorales: list) -> None:
        scores = [compute_metrics(chorale) for chorale in chorales]
        unknown = [name for name in self.metrics if name not in scores[0]]
        if unknown:
            raise ValueError(f"unknown sample metric {unknown[0]!r}; the names are compute_metrics' keys")
        for name in self.metrics:
            pl_module.log(f"samples/{name}", float(np.nanmean([s[name] for s in scores])))
        if self.judge is None and self.judge_path is not None and self.judge_path.is_file():
            self.judge = load_model(self.judge_path, kind="judge")
        if self.judge is not None:
            probabilities = judge_probabilities(self.judge, chorales)
            pl_module.log("samples/judge_score", float(100 * np.mean(probabilities)))

    def log_table(self, logger: WandbLogger, rows) -> None:
        """A table for the W&B UI, plus the same media as plain lists: offline, a table's media only
        travel in an artifact, while plain media are written to the run's files/media at once."""
        import wandb

        columns = ["epoch", "sample", "pianoroll", "notes"] + (["audio"] if self.audio else [])
        table = wandb.Table(columns=columns)
        images, sounds = [], []
        for epoch, index, chorale, midi in rows:
            images.append(
                wandb.Image(pianoroll_image(chorale.pitches), caption=f"epoch {epoch} sample {index}")
            )
            cells = [epoch, index, images[-1], int(chorale.onsets.sum())]
            if self.audio:
                sounds.append(wandb.Audio(synthesize(midi, self.sample_rate), sample_rate=self.sample_rate))
                cells.append(sounds[-1])
            table.add_data(*cells)
        media = {"samples": table, "samples/pianoroll": images, "trainer/epoch": rows[0][0]}
        if sounds:
            media["samples/audio"] = sounds
        logger.experiment.log(media)
