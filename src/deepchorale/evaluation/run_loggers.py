"""The loggers of `conf/logger/` for `deepchorale evaluate`, which trains nothing: W&B through wandb
itself, and the CSV files in Lightning's layout written here, so that scoring never imports Lightning
(two seconds of every run's start-up).

The config group is train's too, whose Trainer needs Lightning's own loggers; so each entry is read
by its `_target_` and built as its counterpart here, from the same arguments, writing the same files:
`WandbLogger` -> `WandbRunLogger` (the run `WandbLogger` would start), `CSVLogger` -> `CsvLogger`
(`<save_dir>/<name>/version_<n>/metrics.csv` and `hparams.yaml`).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from deepchorale.atomic import write_text


class LoggerConfigError(ValueError):
    """A logger entry that evaluate has no counterpart for."""


class WandbRunLogger:
    """The W&B run that Lightning's `WandbLogger` starts from these arguments (the run already open
    in this process, if there is one). `log_model`: nothing to upload, evaluate makes no model."""

    def __init__(
        self,
        project: str | None = None,
        name: str | None = None,
        save_dir: str = ".",
        offline: bool = False,
        id: str | None = None,
        log_model: bool = False,
        **init: Any,
    ) -> None:
        import wandb

        project = project or os.environ.get("WANDB_PROJECT", "lightning_logs")
        mode = "offline" if offline else None
        self.run = wandb.run or wandb.init(
            project=project, name=name, dir=save_dir, id=id, resume="allow", mode=mode, **init
        )

    def log_hyperparams(self, params: dict) -> None:
        self.run.config.update(params, allow_val_change=True)

    def log_metrics(self, metrics: dict[str, float]) -> None:
        self.run.log(metrics)


class CsvLogger:
    """Lightning's `CSVLogger` files: each call writes them whole."""

    def __init__(self, save_dir: str, name: str = "lightning_logs", version: int | None = None) -> None:
        root = Path(save_dir) / name
        if version is None:
            taken = [int(path.name[8:]) for path in root.glob("version_*") if path.name[8:].isdigit()]
            version = max(taken, default=-1) + 1
        self.folder = root / f"version_{version}"
        self.rows: list[dict[str, Any]] = []

    def log_hyperparams(self, params: dict) -> None:
        write_text(self.folder / "hparams.yaml", OmegaConf.to_yaml(params))

    def log_metrics(self, metrics: dict[str, float]) -> None:
        self.rows.append({**metrics, "step": len(self.rows)})
        table = io.StringIO()
        columns = list(dict.fromkeys(key for row in self.rows for key in row))  # as first logged
        writer = csv.DictWriter(table, fieldnames=columns)
        writer.writeheader()
        writer.writerows(self.rows)
        write_text(self.folder / "metrics.csv", table.getvalue())


COUNTERPARTS = {
    "lightning.pytorch.loggers.WandbLogger": WandbRunLogger,
    "lightning.pytorch.loggers.CSVLogger": CsvLogger,
}


def build_loggers(group: DictConfig | None) -> list[WandbRunLogger | CsvLogger]:
    """The counterparts of a `logger` config group's entries (entries set to null are switched off)."""
    loggers = []
    for key, entry in (group or {}).items():
        if not entry or "_target_" not in entry:
            continue
        arguments = OmegaConf.to_container(entry, resolve=True)
        target = arguments.pop("_target_")
        if target not in COUNTERPARTS:
            known = ", ".join(name.rsplit(".", 1)[1] for name in COUNTERPARTS)
            raise LoggerConfigError(f"logger.{key}: evaluate writes {known} logs, not {target}")
        try:
            loggers.append(COUNTERPARTS[target](**arguments))
        except TypeError as error:
            raise LoggerConfigError(f"logger.{key}: {error}") from error
    return loggers
