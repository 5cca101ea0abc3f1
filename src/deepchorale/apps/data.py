"""`deepchorale data`: build (or refresh) the cached corpus and report its figures."""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig

from deepchorale.apps.runner import UserInputError, hydra_app


def print_summary(stats: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Bach chorales", show_header=False)
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


@hydra_app("data")
def main(cfg: DictConfig, output_dir: Path) -> dict:
    from deepchorale.data.cache import load_or_build  # the work's modules: see `deepchorale.apps`
    from deepchorale.data.datamodule import ChoraleDataModule
    from deepchorale.data.split import manifest_path, write_manifest
    from deepchorale.data.stats import corpus_stats

    datamodule: ChoraleDataModule = hydra.utils.instantiate(cfg.data)
    if cfg.data.composer != "bach" and not cfg.write_manifest:
        raise UserInputError(f"no split manifest for composer {cfg.data.composer!r}: add write_manifest=true")
    corpus = load_or_build(
        cfg.data.cache_dir, datamodule.options, cfg.data.parse_workers, rebuild=cfg.rebuild
    )
    if not corpus.chorales:
        raise UserInputError(f"no four-voice chorales found for composer {cfg.data.composer!r}")
    if cfg.write_manifest:
        target = Path(cfg.data.manifest) if cfg.data.manifest else manifest_path(cfg.data.composer)
        write_manifest(corpus.chorales, target)
    datamodule.corpus = corpus
    datamodule.setup()
    stats = corpus_stats(corpus, datamodule.splits)
    print_summary(stats)
    return stats
