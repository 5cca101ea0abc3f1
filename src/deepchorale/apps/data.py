"""`deepchorale data`: build (or refresh) the cached corpus and report its figures; for a folder of
your own (`data=folder`) also what every file gave (the parts that sing, the notes changed) and every
file skipped, with its reason."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import hydra
from omegaconf import DictConfig

from deepchorale.apps.runner import UserInputError, hydra_app

if TYPE_CHECKING:
    from deepchorale.data.folder_datamodule import FolderDataModule


def print_summary(stats: dict, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_header=False)
    table.add_row("chorales", str(stats["chorales"]))
    table.add_row("train / val / test", " / ".join(str(n) for n in stats["chorales_per_split"].values()))
    table.add_row("steps (16ths)", str(stats["steps"]))
    table.add_row("modes", ", ".join(f"{k} {v}" for k, v in stats["modes"].items()))
    table.add_row("meters", ", ".join(f"{k} {v}" for k, v in stats["meters"].items()))
    table.add_row(
        "voice ranges", ", ".join(f"{k} {lo}-{hi}" for k, (lo, hi) in stats["voice_ranges"].items())
    )
    table.add_row("skipped", ", ".join(f"{k}: {v}" for k, v in stats["skipped"]["by_reason"].items()))
    cache = stats["cache"]
    table.add_row(
        "cache", f"{'built' if cache['built'] else 'loaded'} in {cache['seconds']:.2f} s: {cache['cache']}"
    )
    Console().print(table)


def folder_figures(datamodule: FolderDataModule) -> dict:
    """What the folder gave beyond the corpus's figures: the notes changed, the rule that picked
    each piece's voices, the training split's voice ranges (the transpositions' bounds), the split's
    manifest, and one line per file skipped."""
    from deepchorale.data.chorale import VOICES

    built = datamodule.built
    rules: dict[str, int] = {}
    for figures in built.files.values():
        if "rule" in figures:
            rules[figures["rule"]] = rules.get(figures["rule"], 0) + 1
    for name, reason in built.corpus.skipped.items():
        print(f"skipped {name}: {reason}")
    changes = ", ".join(f"{count} {change}" for change, count in built.changes.items())
    print(f"notes changed: {changes}; voices picked by: {rules}")
    return {
        "folder": str(datamodule.folder.resolve()),
        "notes_changed": built.changes,
        "picked_by": rules,
        "training_voice_ranges": dict(zip(VOICES, datamodule.ranges)),
        "manifest": str(datamodule.manifest_file()),
        "files": built.files,
    }


def write_corpus_reference(datamodule, corpus: str, output_dir: Path) -> dict:
    """The corpus's registers (train split) and reference statistics (test split) in `output_dir`,
    in the formats of Bach's (`evaluation/reference/`)."""
    from deepchorale.atomic import write_json
    from deepchorale.evaluation.reference import build_reference, corpus_registers, registers_record

    registers = corpus_registers(datamodule.chorales("train"), corpus)
    files = {"registers": output_dir / "registers.json", "reference": output_dir / "reference.json"}
    write_json(files["registers"], registers_record(registers, f"{corpus}, train split"))
    reference = build_reference(datamodule.chorales("test"), "test", corpus)
    write_json(files["reference"], reference)
    print(f"registers {registers.summary()} -> {files['registers']}")
    pieces, metrics = reference["chorales"], len(reference["metrics"])
    print(f"reference: {pieces} test pieces, {metrics} metrics -> {files['reference']}")
    return {name: str(path) for name, path in files.items()}


@hydra_app("data")
def main(cfg: DictConfig, output_dir: Path) -> dict:
    from deepchorale.data.folder import FolderError  # the work's modules: see `deepchorale.apps`
    from deepchorale.data.folder_datamodule import FolderDataModule
    from deepchorale.data.stats import corpus_stats

    datamodule = hydra.utils.instantiate(cfg.data)
    folder = isinstance(datamodule, FolderDataModule)
    manifest = datamodule.manifest_file()
    if not (cfg.write_manifest or manifest.exists() or (folder and not cfg.data.manifest)):
        missing = str(manifest) if folder else f"composer {cfg.data.composer!r}"
        raise UserInputError(f"no split manifest for {missing}: add write_manifest=true")
    try:
        corpus = datamodule.load_corpus(rebuild=cfg.rebuild)
    except FolderError as error:
        raise UserInputError(str(error)) from error
    if not corpus.chorales:
        raise UserInputError(f"no four-voice chorales found for composer {cfg.data.composer!r}")
    if cfg.write_manifest:
        datamodule.write_manifest(corpus)
    datamodule.corpus = corpus
    datamodule.setup()
    stats = corpus_stats(corpus, datamodule.splits)
    if folder:
        stats |= folder_figures(datamodule)
        title = f"your music: {datamodule.folder}"
    else:
        title = "Bach chorales"
    print_summary(stats, title)
    if cfg.write_reference:
        stats["reference"] = write_corpus_reference(datamodule, title, output_dir)
    return stats
