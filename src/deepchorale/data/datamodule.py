"""`ChoraleDataModule`: the Bach chorales as fixed-length, augmented training windows.

Each item is a dict of tensors for one window of `crop_length` steps:
- "pitches" (4, L) int64, -1 = rest; "onsets" (4, L) bool; "valid" (L,) bool (False on padding);
- plus the views asked for in `views`: "onehot" (4, L, 46) float32, "pianoroll" (L, 128) float32.
Training draws `crops_per_chorale` random windows per chorale per epoch, each randomly
transposed within the voices' ranges (measured on the training split); validation and test tile
every piece with non-overlapping windows, so their metrics cover each step exactly once.
"""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from deepchorale.data.augment import VoiceRanges, random_crop, random_transpose, tiled_crops, voice_ranges
from deepchorale.data.cache import load_or_build
from deepchorale.data.chorale import Chorale
from deepchorale.data.convert import to_onehot, to_pianoroll
from deepchorale.data.corpus import Corpus, CorpusOptions
from deepchorale.data.split import SPLITS, manifest_path, read_manifest, write_manifest

VIEWS = ("pitches", "onehot", "pianoroll")


def window_tensors(chorale: Chorale, valid_steps: int, views: tuple[str, ...]) -> dict[str, torch.Tensor]:
    valid = np.arange(chorale.num_steps) < valid_steps
    item = {
        "pitches": torch.from_numpy(chorale.pitches.astype(np.int64)),
        "onsets": torch.from_numpy(chorale.onsets.copy()),
        "valid": torch.from_numpy(valid),
        # each step's position in its bar: where the beats are, for models that read metre
        "phase": torch.from_numpy((np.arange(chorale.num_steps) - chorale.pickup) % chorale.bar_steps),
    }
    if "onehot" in views:
        item["onehot"] = torch.from_numpy(to_onehot(chorale.pitches))
    if "pianoroll" in views:
        item["pianoroll"] = torch.from_numpy(to_pianoroll(chorale.pitches).astype(np.float32))
    return item


class RandomWindows(Dataset):
    """`crops_per_chorale` random (optionally transposed) windows of every chorale."""

    def __init__(self, chorales, length, crops_per_chorale, ranges: VoiceRanges | None, align, views):
        self.chorales, self.length, self.crops = chorales, length, crops_per_chorale
        self.ranges, self.align, self.views = ranges, align, views

    def __len__(self) -> int:
        return len(self.chorales) * self.crops

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        chorale = self.chorales[index // self.crops]
        if self.ranges is not None:
            chorale = random_transpose(chorale, self.ranges)
        window = random_crop(chorale, self.length, self.align)
        return window_tensors(window, min(self.length, chorale.num_steps), self.views)


class TiledWindows(Dataset):
    """Every chorale cut into consecutive windows; the last one padded with rests."""

    def __init__(self, chorales, length, views):
        self.windows = [w for chorale in chorales for w in tiled_crops(chorale, length)]
        self.views = views

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        window, valid_steps = self.windows[index]
        return window_tensors(window, valid_steps, self.views)


class ChoraleDataModule(pl.LightningDataModule):
    def __init__(
        self,
        cache_dir: str = ".cache/deepchorale",
        composer: str = "bach",
        keep_instrumental_scores: bool = True,
        dedupe_transpositions: bool = True,
        parse_workers: int | None = None,
        manifest: str | None = None,
        crop_length: int = 64,
        crop_align: int = 1,
        crops_per_chorale: int = 8,
        transpose: bool = True,
        views: tuple[str, ...] | list[str] = ("pitches",),
        batch_size: int = 32,
        eval_batch_size: int | None = None,
        num_workers: int = 0,
        pin_memory: bool = False,
    ) -> None:
        super().__init__()
        views = [str(view) for view in views]  # plain list: checkpoints must load with weights_only=True
        unknown = set(views) - set(VIEWS)
        if unknown:
            raise ValueError(f"unknown data views {sorted(unknown)}; choose from {VIEWS}")
        self.save_hyperparameters(logger=False)
        self.options = CorpusOptions(composer, keep_instrumental_scores, dedupe_transpositions)
        self.views = tuple(views)
        self.corpus: Corpus | None = None
        self.splits: dict[str, list[Chorale]] = {}
        self.ranges: VoiceRanges | None = None

    def prepare_data(self) -> None:
        self.load_corpus()

    def load_corpus(self, rebuild: bool = False) -> Corpus:
        """The parsed corpus, from the cache or built (again, with `rebuild`)."""
        return load_or_build(self.hparams.cache_dir, self.options, self.hparams.parse_workers, rebuild)

    def manifest_file(self) -> Path:
        """Where the split is read from, and where `deepchorale data write_manifest=true` writes it."""
        return Path(self.hparams.manifest) if self.hparams.manifest else manifest_path(self.options.composer)

    def write_manifest(self, corpus: Corpus) -> None:
        write_manifest(corpus.chorales, self.manifest_file())

    def setup(self, stage: str | None = None) -> None:
        if not self.splits:
            self.splits = self.load_splits()
            self.ranges = voice_ranges(self.splits["train"])

    def load_splits(self) -> dict[str, list[Chorale]]:
        if self.corpus is None:
            self.corpus = self.load_corpus()
        by_id = {c.id: c for c in self.corpus.chorales}
        manifest = read_manifest(self.manifest_file(), self.corpus.chorales)
        return {name: [by_id[id] for id in manifest[name]] for name in SPLITS}

    def chorales(self, split: str) -> list[Chorale]:
        self.setup()
        return self.splits[split]

    def _loader(self, dataset: Dataset, shuffle: bool, batch_size: int) -> DataLoader:
        workers = self.hparams.num_workers
        return DataLoader(
            dataset,
            batch_size=batch_size,
            shuffle=shuffle,
            num_workers=workers,
            pin_memory=self.hparams.pin_memory,
            persistent_workers=workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        ranges = self.ranges if self.hparams.transpose else None
        dataset = RandomWindows(
            self.chorales("train"),
            self.hparams.crop_length,
            self.hparams.crops_per_chorale,
            ranges,
            self.hparams.crop_align,
            self.views,
        )
        return self._loader(dataset, shuffle=True, batch_size=self.hparams.batch_size)

    def _eval_loader(self, split: str) -> DataLoader:
        dataset = TiledWindows(self.chorales(split), self.hparams.crop_length, self.views)
        return self._loader(dataset, False, self.hparams.eval_batch_size or self.hparams.batch_size)

    def val_dataloader(self) -> DataLoader:
        return self._eval_loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._eval_loader("test")
