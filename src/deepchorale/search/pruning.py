"""Pruning from inside a trial's own process: report each validation value, stop when told to.

The worker runs a trial as a separate `deepchorale train` process and adds this callback to it
(`+callbacks.optuna_pruning=...`) pointing at `trial.json` in the run dir: the study's name and
storage, the trial's number, the pruner and the metric to report. The callback reopens the study
from that storage, so Optuna's pruner sees every worker's trials. When the pruner says stop, the
run's W&B run is tagged `pruned` (and closed as finished, not failed) and the process exits with
`PRUNED_EXIT`, which the worker records as a pruned trial: a crash exits with anything else.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import hydra
import lightning.pytorch as pl
import optuna
from lightning.pytorch.loggers import WandbLogger

from deepchorale.search.study import PRUNED_EXIT, open_storage
from deepchorale.tracking import finish_wandb


def reopen_trial(spec: dict) -> optuna.Trial:
    pruner = hydra.utils.instantiate(spec["pruner"]) if spec.get("pruner") else None
    study = optuna.load_study(study_name=spec["study_name"], storage=open_storage(spec["storage"]),
                              pruner=pruner)  # fmt: skip
    # Optuna has no public way to reopen a trial by number in another process; its own distributed
    # integrations build `Trial(study, trial_id)` the same way.
    trial_id = study._storage.get_trial_id_from_study_id_trial_number(study._study_id, spec["number"])
    return optuna.trial.Trial(study, trial_id)


class OptunaPruning(pl.Callback):
    def __init__(self, trial: str) -> None:
        self.spec = json.loads(Path(trial).read_text())
        self.monitor: str = self.spec["monitor"]
        self.trial: optuna.Trial | None = None

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        value = trainer.callback_metrics.get(self.monitor)
        if trainer.sanity_checking or value is None:
            return
        if self.trial is None:
            self.trial = reopen_trial(self.spec)
        epoch = trainer.current_epoch
        value = float(value)
        self.trial.report(value, step=epoch)  # NaN included: Optuna's pruners prune on it
        if self.trial.should_prune():
            self.mark_pruned(trainer, epoch, value)
            print(f"trial {self.spec['number']} pruned at epoch {epoch} ({self.monitor} {value:.4g})",
                  file=sys.stderr)  # fmt: skip
            raise SystemExit(PRUNED_EXIT)

    def mark_pruned(self, trainer: pl.Trainer, epoch: int, value: float) -> None:
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                run = logger.experiment
                run.tags = (*run.tags, "pruned")
                run.summary.update({"optuna/state": "pruned", "optuna/pruned_epoch": epoch,
                                    f"optuna/pruned_{self.monitor}": value})  # fmt: skip
        finish_wandb(0)  # a pruned run ended as planned: not a failure
