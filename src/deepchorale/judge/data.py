"""`JudgeDataModule`: Bach windows against windows of every negative family, for the Bach judge.

Positives are the Bach chorales of a split (the committed manifest: train for training, val and
test for the judge's own validation and test), or with `positives` the pieces of your own folder
(`data/folder.py`, split by its manifest): a judge of that music; negatives are the families of
`judge/negatives.py` made from the same split. Each item is one window:
- "rolls" (planes, L, 84) float32: by `encoding`, the critic's merged piano roll and onset roll
  (`judge.net.judge_input`, "merged") or the evaluation judge's rolls per voice
  (`judge.register_net.voice_input`, "voices");
- "valid" (L,) bool: False on the rests that pad a piece shorter than the window;
- "family" int64: 0 for Bach, else the family's index in `negatives.FAMILY_NAMES`.

Training batches are balanced twice: half Bach, half negatives, the negatives dealt to the
families in turn, so every family is seen equally often whatever its size. Every batch has its
own random window length (`min_length`..`max_length`), so the judge learns to judge excerpts, and
every window, Bach or not, is transposed by a random interval (up to `transpose` semitones), so
key is no cue; with `transpose: 0` register is one. Validation and
test windows are fixed (`crop_length` steps, up to `eval_windows_per_piece` spread over each
piece, untransposed), so their metrics are comparable across epochs and runs.
"""

from __future__ import annotations

import lightning.pytorch as pl
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from deepchorale.data.chorale import REST, Chorale
from deepchorale.data.datamodule import ChoraleDataModule
from deepchorale.data.folder_datamodule import FolderDataModule
from deepchorale.judge.negatives import (
    FAMILIES,
    FAMILY_NAMES,
    FamilySources,
    make_family,
)
from deepchorale.judge.net import judge_input
from deepchorale.judge.other_composers import (
    COMPOSER_SUFFIXES,
    OtherComposersOptions,
    load_other_composers,
)
from deepchorale.judge.register_net import voice_input

DEFAULT_FAMILIES = tuple(name for name in FAMILIES if name != "generated")
ENCODINGS = {"merged": judge_input, "voices": voice_input}


def window_item(
    chorale: Chorale, family: int, start: int, length: int, shift: int = 0, encoding: str = "merged"
) -> dict:
    """The tensors of one window: steps [start, start + length), transposed by `shift`, padded."""
    stop = min(start + length, chorale.num_steps)
    pitches = np.full((4, length), REST, np.int16)
    onsets = np.zeros((4, length), bool)
    pitches[:, : stop - start] = chorale.pitches[:, start:stop]
    onsets[:, : stop - start] = chorale.onsets[:, start:stop]
    onsets[:, 0] = pitches[:, 0] != REST  # a note cut by the window's edge starts anew
    pitches = np.where(pitches == REST, REST, pitches + shift)
    return {
        "rolls": torch.from_numpy(ENCODINGS[encoding](pitches, onsets)),
        "valid": torch.arange(length) < max(stop - start, 1),
        "family": torch.tensor(family),
    }


class RandomWindows(Dataset):
    """Indexed by (family, piece, length) keys from `BalancedBatches`: a random window of that
    piece, randomly transposed by up to `transpose` semitones either way."""

    def __init__(self, pieces: dict[int, list[Chorale]], transpose: int, encoding: str = "merged") -> None:
        self.pieces, self.transpose, self.encoding = pieces, transpose, encoding

    def __len__(self) -> int:
        return sum(len(p) for p in self.pieces.values())

    def __getitem__(self, key: tuple[int, int, int]) -> dict:
        family, index, length = key
        chorale = self.pieces[family][index]
        start = int(torch.randint(0, max(chorale.num_steps - length, 0) + 1, ()))
        shift = int(torch.randint(-self.transpose, self.transpose + 1, ()))
        return window_item(chorale, family, start, length, shift, self.encoding)


class BalancedBatches(Sampler):
    """`batches` batches of (family, piece, length) keys: half Bach (family 0), half negatives
    dealt to the negative families in turn from a random first one; one random length per batch,
    a multiple of `length_multiple`."""

    def __init__(self, sizes: dict[int, int], batch_size, batches, min_length, max_length, length_multiple):
        self.sizes, self.batch_size, self.batches = sizes, batch_size, batches
        self.lengths = list(range(min_length, max_length + 1, length_multiple))
        self.negatives = [family for family in sizes if family != 0]

    def __len__(self) -> int:
        return self.batches

    def __iter__(self):
        positives = self.batch_size // 2
        for _ in range(self.batches):
            length = self.lengths[int(torch.randint(len(self.lengths), ()))]
            first = int(torch.randint(len(self.negatives), ()))
            families = [0] * positives + [
                self.negatives[(first + i) % len(self.negatives)] for i in range(self.batch_size - positives)
            ]
            yield [(f, int(torch.randint(self.sizes[f], ())), length) for f in families]


class FixedWindows(Dataset):
    """Every piece's evaluation windows: up to `per_piece` windows of `length` steps, evenly spread."""

    def __init__(
        self, pieces: dict[int, list[Chorale]], length: int, per_piece: int, encoding: str = "merged"
    ) -> None:
        self.pieces, self.encoding = pieces, encoding
        self.keys = []
        for family, chorales in pieces.items():
            for index, chorale in enumerate(chorales):
                count = min(per_piece, -(-chorale.num_steps // length))
                starts = np.linspace(0, max(chorale.num_steps - length, 0), count).round().astype(int)
                self.keys += [(family, index, int(start)) for start in np.unique(starts)]
        self.length = length

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, index: int) -> dict:
        family, piece, start = self.keys[index]
        return window_item(self.pieces[family][piece], family, start, self.length, encoding=self.encoding)


class JudgeDataModule(pl.LightningDataModule):
    # The name of every family id its batches carry, for the judge's per-family metrics.
    family_names_by_id = FAMILY_NAMES

    def __init__(
        self,
        cache_dir: str = ".cache/deepchorale",
        families: tuple[str, ...] | list[str] = DEFAULT_FAMILIES,
        generated_dir: str | None = None,
        seed: int = 0,
        train_copies: int = 4,
        composers: tuple[str, ...] | list[str] = tuple(COMPOSER_SUFFIXES),
        palestrina_pieces: int = 150,
        files_per_composer: int | None = None,
        parse_workers: int | None = None,
        min_length: int = 32,
        max_length: int = 128,
        length_multiple: int = 8,
        crop_length: int = 64,
        eval_windows_per_piece: int = 4,
        transpose: int = 6,
        encoding: str = "merged",
        batches_per_epoch: int = 200,
        batch_size: int = 64,
        eval_batch_size: int = 256,
        num_workers: int = 0,
        pin_memory: bool = False,
        positives: dict | None = None,
    ) -> None:
        super().__init__()
        # Plain lists (not Hydra's ListConfig) in the saved hyperparameters, so that checkpoints
        # load with `torch.load(weights_only=True)`.
        families, composers = [str(f) for f in families], [str(c) for c in composers]
        names = families + (["generated"] if generated_dir and "generated" not in families else [])
        if encoding not in ENCODINGS:
            raise ValueError(f"unknown encoding {encoding!r}; choose from {list(ENCODINGS)}")
        unknown = set(names) - set(FAMILIES)
        if unknown:
            raise ValueError(f"unknown negative families {sorted(unknown)}; choose from {list(FAMILIES)}")
        self.save_hyperparameters(logger=False)
        self.family_names = names
        self.other_composers = OtherComposersOptions(
            composers=tuple(composers),
            palestrina_pieces=palestrina_pieces,
            files_per_composer=files_per_composer,
        )
        # `positives`: a folder's options as `data=folder` takes them (path, pick, parts,
        # normalise_note_values, manifest); None: the Bach chorales.
        self.positives = (
            FolderDataModule(cache_dir=cache_dir, parse_workers=parse_workers, **positives)
            if positives
            else ChoraleDataModule(cache_dir=cache_dir, parse_workers=parse_workers)
        )
        self.pieces: dict[str, dict[int, list[Chorale]]] = {}

    def prepare_data(self) -> None:
        """The one-time parses (Bach, other composers), cached under `cache_dir`."""
        self.positives.prepare_data()
        if "other_composers" in self.family_names:
            load_other_composers(self.hparams.cache_dir, self.other_composers, self.hparams.parse_workers)

    def setup(self, stage: str | None = None) -> None:
        for split in ("train", "val", "test"):
            if split not in self.pieces:
                self.pieces[split] = self.make_split(split)

    def make_split(self, split: str) -> dict[int, list[Chorale]]:
        """{family id: pieces} for one split; families without pieces there are left out."""
        real = self.positives.chorales(split)
        copies = self.hparams.train_copies if split == "train" else 1
        sources = FamilySources(
            split,
            real * copies,
            self.hparams.cache_dir,
            self.other_composers,
            self.hparams.generated_dir,
            self.hparams.parse_workers,
        )
        pieces = {0: list(real)}
        for name in self.family_names:
            made = make_family(name, sources, self.hparams.seed)
            if made:
                pieces[FAMILY_NAMES.index(name)] = made
        return pieces

    def family_sizes(self, split: str) -> dict[str, int]:
        self.setup()
        return {FAMILY_NAMES[family]: len(pieces) for family, pieces in self.pieces[split].items()}

    def train_dataloader(self) -> DataLoader:
        self.setup()
        pieces, hp = self.pieces["train"], self.hparams
        if len(pieces) < 2:
            raise ValueError(f"no negatives to train against: families {self.family_names} are all empty")
        sampler = BalancedBatches(
            {family: len(p) for family, p in pieces.items()},
            hp.batch_size,
            hp.batches_per_epoch,
            hp.min_length,
            hp.max_length,
            hp.length_multiple,
        )
        return DataLoader(
            RandomWindows(pieces, hp.transpose, hp.encoding),
            batch_sampler=sampler,
            num_workers=hp.num_workers,
            pin_memory=hp.pin_memory,
            persistent_workers=hp.num_workers > 0,
        )

    def _eval_loader(self, split: str) -> DataLoader:
        self.setup()
        hp = self.hparams
        return DataLoader(
            FixedWindows(self.pieces[split], hp.crop_length, hp.eval_windows_per_piece, hp.encoding),
            batch_size=hp.eval_batch_size,
            shuffle=False,
            num_workers=hp.num_workers,
            pin_memory=hp.pin_memory,
            persistent_workers=hp.num_workers > 0,
        )

    def val_dataloader(self) -> DataLoader:
        return self._eval_loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._eval_loader("test")
