"""What `deepchorale evaluate mode=turing` shows and keeps of a Turing test (`turing_test.turing_report`):
a table in the terminal, and the figures sent to the loggers of `conf/logger/` (`run_loggers`; to W&B also as
tables: one row per stage and discriminator, one per telling feature)."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

from deepchorale.evaluation.run_loggers import CsvLogger, WandbRunLogger

CONTROL = "control (Bach vs Bach)"


def rows(report: dict) -> list[tuple[str, dict]]:
    """(name, result) of every stage in order, then the control."""
    return [*report["stages"].items(), (CONTROL, report["control"])]


def interval(result: dict) -> str:
    low, high = result["ci95"]
    if not all(isinstance(x, float) and math.isfinite(x) for x in (result["auc"], low, high)):
        return "-"
    return f"{result['auc']:.3f} [{low:.3f}, {high:.3f}]"


def print_report(report: dict, features: int = 3) -> None:
    """AUC [95% interval] per stage and discriminator, then each stage's most telling features."""
    names = report["settings"]["discriminators"]
    table = Table(title="automated Turing test: ROC AUC of telling 2-bar windows from Bach's (0.5 = chance)")
    table.add_column("stage")
    for name in names:
        table.add_column(f"{name} AUC [95% CI]", justify="right")
    table.add_column("chorales", justify="right")
    table.add_column("windows Bach / ours", justify="right")
    for stage, result in rows(report):
        windows = result["windows"]
        cells = [interval(result["discriminators"][name]) for name in names]
        table.add_row(stage, *cells, str(result["chorales"]), f"{windows['bach']} / {windows['generated']}")
    console = Console()
    console.print(table)
    for stage, result in rows(report):
        telling = ", ".join(
            f"{f['feature']} {f['auc']:.2f} (Bach {f['bach_mean']:.3g}, ours {f['generated_mean']:.3g})"
            for f in result["features"][:features]
        )
        console.print(f"{stage}: {telling}")


def flat_metrics(report: dict) -> dict[str, float]:
    """turing/<stage>/<discriminator>/auc (and ci_low, ci_high) for every row."""
    metrics = {}
    for stage, result in rows(report):
        key = "control" if stage == CONTROL else stage
        for name, figures in result["discriminators"].items():
            for field, value in zip(("auc", "ci_low", "ci_high"), (figures["auc"], *figures["ci95"])):
                metrics[f"turing/{key}/{name}/{field}"] = value
    return {name: float(value) for name, value in metrics.items() if value is not None}


def log_report(loggers: list[WandbRunLogger | CsvLogger], config: dict, report: dict) -> None:
    """The run's config and figures to every logger; to W&B also the two tables."""
    for logger in loggers:
        logger.log_hyperparams(config)
        logger.log_metrics(flat_metrics(report))
        if isinstance(logger, WandbRunLogger):
            log_tables(logger, report)


def log_tables(logger: WandbRunLogger, report: dict) -> None:
    import wandb

    table = wandb.Table(columns=["stage", "discriminator", "auc", "ci_low", "ci_high", "chorales",
                                 "bach_windows", "generated_windows"])  # fmt: skip
    features = wandb.Table(columns=["stage", "rank", "feature", "auc", "bach_mean", "generated_mean"])
    for stage, result in rows(report):
        windows = result["windows"]
        for name, figures in result["discriminators"].items():
            table.add_data(stage, name, figures["auc"], *figures["ci95"], result["chorales"],
                           windows["bach"], windows["generated"])  # fmt: skip
        for rank, row in enumerate(result["features"], 1):
            features.add_data(
                stage, rank, row["feature"], row["auc"], row["bach_mean"], row["generated_mean"]
            )
    logger.run.log({"turing": table, "turing_features": features})
