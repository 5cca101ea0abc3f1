"""Experiment tracking: generated samples as pictures, audio and MIDI; closing W&B runs.

W&B runs offline by default (no account, no network); `wandb sync <run dir>/wandb/offline-run-*`
uploads them later. Every job must close its run, also when it fails: wandb keeps one run per
process, so the next job of an in-process Hydra multirun would otherwise log into the failed one.
The apps' one wrapper (`apps/runner.py`) calls `finish_wandb` on every way out of a job.
"""

from __future__ import annotations

import json
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import torch
from lightning.pytorch.loggers import WandbLogger

from deepchorale.atomic import atomic_path
from deepchorale.data.chorale import chorale_from_pitches
from deepchorale.data.convert import to_midi
from deepchorale.evaluation.judge_scoring import judge_probabilities
from deepchorale.evaluation.metrics import compute_metrics
from deepchorale.models.generator import Generator
from deepchorale.models.weights import load_model
from deepchorale.render import pianoroll_image, synthesize


def finish_wandb(exit_code: int = 0) -> None:
    """Close this process's W&B run, if one is open; a non-zero `exit_code` marks it failed.

    Returns once the run's files are complete on disk: `wandb.finish` only informs wandb's service
    process, which flushes and closes the run's log later (a reader right after a job, or a Slurm
    job killed at its end, could find it empty). Shutting the service down waits for that; the next
    job's `wandb.init` starts a new one (about a second, once per job).
    """
    wandb = sys.modules.get("wandb")  # never imported: no run to close (and no second of import)
    if wandb is not None and wandb.run is not None:
        wandb.finish(exit_code=exit_code)
        wandb.teardown(exit_code=exit_code)


LOG_BLOCK = 32768  # the .wandb file is a LevelDB-format log: 32 KiB blocks of framed records
RECORD_HEADER = struct.Struct("<IHB")  # crc32, length, kind (1 full, 2 first, 3 middle, 4 last)


def offline_records(run_dir: str | Path) -> Iterator:
    """The records (protobuf `Record`s) of an offline W&B run, read from its `run-<id>.wandb`.

    wandb 0.31 keeps no Python reader for its own log, and `wandb sync` needs a server; this reads
    the LevelDB log framing (github.com/google/leveldb, doc/log_format.md) and wandb's protobuf
    records, so offline runs can be checked and ranked with no network.
    """
    from wandb.proto import wandb_internal_pb2

    (path,) = Path(run_dir).glob("run-*.wandb")
    data = path.read_bytes()
    position, payloads, pending = 7, [], b""  # past the file header: ":W&B", magic, version
    while position + RECORD_HEADER.size <= len(data):
        left_in_block = LOG_BLOCK - position % LOG_BLOCK
        if left_in_block < RECORD_HEADER.size:
            position += left_in_block  # a block's zero-filled trailer
            continue
        _, length, kind = RECORD_HEADER.unpack_from(data, position)
        chunk = data[position + RECORD_HEADER.size : position + RECORD_HEADER.size + length]
        position += RECORD_HEADER.size + length
        if kind in (1, 2):
            pending = chunk
        elif kind in (3, 4):
            pending += chunk
        if kind in (1, 4):
            payloads.append(pending)
    for payload in payloads:
        yield wandb_internal_pb2.Record.FromString(payload)


def offline_history(run_dir: str | Path) -> list[dict]:
    """The logged rows (`wandb.log` calls) of an offline W&B run."""
    return [
        {item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in record.history.item}
        for record in offline_records(run_dir)
        if record.WhichOneof("record_type") == "history"
    ]


def offline_exit_code(run_dir: str | Path) -> int | None:
    """The exit code an offline W&B run was finished with (non-zero: failed); None while it is open."""
    exits = [record.exit for record in offline_records(run_dir) if record.WhichOneof("record_type") == "exit"]
    return exits[-1].exit_code if exits else None


def wandb_run_id(output_dir: str | Path) -> str | None:
    """The id of the latest W&B run saved in a run dir (`wandb/[offline-]run-<time>-<id>`), if any."""
    runs = sorted((Path(output_dir) / "wandb").glob("*run-*-*"), key=lambda p: p.name.split("run-")[1])
    return runs[-1].name.rsplit("-", 1)[1] if runs else None


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

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: Generator) -> None:
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
            self.judge = load_model(self.judge_path)
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
