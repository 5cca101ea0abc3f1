"""`FolderDataModule`: your own folder of MIDI, MusicXML and ABC files as `ChoraleDataModule`'s
windows (`data/folder.py` reads the folder).

Everything a model learns about where voices sing comes from the folder's training split: the
random transpositions keep every voice inside the range it has there (`augment.voice_ranges`), not
inside Bach's. The split is read from `manifest` when one is named (commit it beside your
experiment: `deepchorale data data=folder data.path=... data.manifest=<file> write_manifest=true`),
else from `folder-<hash>-split.json` beside the cache, written on first use.
"""

from __future__ import annotations

from pathlib import Path

from deepchorale.data.corpus import Corpus
from deepchorale.data.datamodule import ChoraleDataModule
from deepchorale.data.folder import (
    FolderError,
    FolderOptions,
    folder_files,
    load_or_build_folder,
    write_file_manifest,
)
from deepchorale.data.scores import SCORE_SUFFIXES


class FolderDataModule(ChoraleDataModule):
    def __init__(
        self,
        path: str,
        pick: str = "auto",
        parts: list[str] | None = None,
        normalise_note_values: bool = False,
        dedupe: bool = True,
        **loader_options,
    ) -> None:
        super().__init__(**loader_options)
        self.folder = Path(path).expanduser()
        self.folder_options = FolderOptions(pick, tuple(parts or ()), normalise_note_values, dedupe)
        # Read (or loaded from the cache) here: a folder without a usable piece is a config value
        # refused, which train and data report in one line, exit status 2, before any other work.
        if not any(p.suffix.lower() in SCORE_SUFFIXES for p in folder_files(self.folder)):
            raise FolderError(f"no score files ({', '.join(SCORE_SUFFIXES)}) under {self.folder}")
        self.corpus = self.load_corpus()

    def load_corpus(self, rebuild: bool = False) -> Corpus:
        self.built, self.cache_file = load_or_build_folder(
            self.folder, self.hparams.cache_dir, self.folder_options, self.hparams.parse_workers, rebuild
        )
        skipped = self.built.corpus.skipped
        if not self.built.corpus.chorales:
            reasons = "; ".join(f"{name}: {reason}" for name, reason in list(skipped.items())[:3])
            more = f"; and {len(skipped) - 3} more" if len(skipped) > 3 else ""
            raise FolderError(f"no usable piece under {self.folder} ({reasons}{more})")
        return self.built.corpus

    def manifest_file(self) -> Path:
        if self.hparams.manifest:
            return Path(self.hparams.manifest)
        return self.cache_file.with_name(self.cache_file.stem + "-split.json")

    def write_manifest(self, corpus: Corpus) -> None:
        write_file_manifest(corpus.chorales, self.manifest_file())

    def load_splits(self):
        if not self.hparams.manifest and not self.manifest_file().exists():
            self.write_manifest(self.corpus)
        return super().load_splits()
