"""What `deepchorale evaluate` shows and keeps of a scored set: a table in the terminal, one CSV row
per piece, and the scores sent to the loggers of `conf/logger/` (`run_loggers`; to W&B also a table
of the pieces with their piano rolls)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from deepchorale.atomic import atomic_path
from deepchorale.data.chorale import Chorale
from deepchorale.evaluation.run_loggers import CsvLogger, WandbRunLogger
from deepchorale.render import pianoroll_image

# Shown in the terminal (under the short header) and the W&B table: one or two per criterion.
KEY_METRICS = {
    "triad_or_seventh_rate": "triads",
    "parallel_fifths": "par. 5ths",
    "voice_crossing_rate": "crossing",
    "scale_consistency": "scale",
    "groove_consistency": "groove",
    "originality/shared_share": "copied",
}


def number(value, digits: int = 3) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def print_table(pieces: list[dict], failed: list[dict], summary: dict) -> None:
    table = Table(title=f"deepchorale evaluate: {len(pieces)} scored, {len(failed)} failed")
    table.add_column("file", overflow="fold", min_width=12)
    for header in ("judge", "critic", "comb.", *KEY_METRICS.values()):
        table.add_column(header, justify="right")
    for piece in pieces:
        metrics = piece["metrics"]
        table.add_row(
            piece["file"],
            number(piece["judge_score"], 1),
            number(piece["critic_score"], 1),
            number(piece["combined_score"], 1),
            *(number(metrics.get(name)) for name in KEY_METRICS),
        )
    console = Console()
    console.print(table)
    for failure in failed:
        console.print(f"[red]failed[/red] {failure['file']}: {failure['reason']}")
    overlaps = [d["overlap_area"] for d in summary["distances"].values() if math.isfinite(d["overlap_area"])]
    if overlaps:
        console.print(
            f"mean overlapping area with Bach (test split), {len(overlaps)} features: {np.mean(overlaps):.3f}"
        )
    console.print(f"judge (the grade): {summary['judge']}; critic (compose's own): {summary['critic']}")


def write_csv(path: Path, pieces: list[dict]) -> None:
    """One row per piece, a column per metric; a NaN or infinite value is an empty cell."""
    names = list(dict.fromkeys(name for piece in pieces for name in piece["metrics"]))
    columns = [
        "file",
        "steps",
        "key",
        "judge_score",
        "critic_score",
        "combined_score",
        "ks_pitch_distance",
        *names,
    ]
    with atomic_path(path) as temporary, open(temporary, "w", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        for piece in pieces:
            row = {k: v for k, v in piece.items() if k != "metrics"} | piece["metrics"]
            writer.writerow(
                {k: "" if isinstance(v, float) and not math.isfinite(v) else v for k, v in row.items()}
            )


def set_metrics(summary: dict) -> dict[str, float]:
    """The set's scores as flat metrics: mean scores, and per feature its distances to Bach."""
    metrics = {
        f"{key}_mean": summary[key]["mean"] for key in ("judge_score", "critic_score", "combined_score")
    }
    for feature, distance in summary["distances"].items():
        metrics[f"overlap_area/{feature}"] = distance["overlap_area"]
        metrics[f"kl_divergence/{feature}"] = distance["kl_divergence"]
    return {name: float(value) for name, value in metrics.items() if value is not None}


def log_results(
    loggers: list[WandbRunLogger | CsvLogger],
    config: dict,
    pieces: list[dict],
    chorales: list[Chorale],
    summary: dict,
    images: int,
) -> None:
    """The run's config and the set's metrics to every logger; to W&B also the pieces' table, with
    piano rolls of the first `images` pieces (each costs ~0.1 s to draw)."""
    for logger in loggers:
        logger.log_hyperparams(config)
        logger.log_metrics(set_metrics(summary))
        if isinstance(logger, WandbRunLogger):
            log_pieces_table(logger, pieces, chorales, images)


def log_pieces_table(
    logger: WandbRunLogger, pieces: list[dict], chorales: list[Chorale], images: int
) -> None:
    import wandb

    pictures = [
        wandb.Image(pianoroll_image(c.pitches, p["file"], c.bar_steps), caption=p["file"])
        for p, c in list(zip(pieces, chorales))[:images]
    ]
    table = wandb.Table(
        columns=["file", "judge_score", "critic_score", "combined_score", *KEY_METRICS, "pianoroll"]
    )
    for i, piece in enumerate(pieces):
        table.add_data(
            piece["file"],
            piece["judge_score"],
            piece["critic_score"],
            piece["combined_score"],
            *(piece["metrics"].get(name) for name in KEY_METRICS),
            pictures[i] if i < len(pictures) else None,
        )
    logger.run.log({"pieces": table, "pianorolls": pictures})
