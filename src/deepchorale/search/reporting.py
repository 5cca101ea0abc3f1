"""A trial's own process talking to its study: reopen the trial, report intermediate values, stop
when the pruner says so.

The worker runs each trial as a separate process and leaves `trial.json` in its run dir: the
study's name and storage, the trial's number and the pruner. Reopening the study from that storage
lets Optuna's pruner compare the value with every worker's trials. A pruned trial's process exits
with `PRUNED_EXIT`, which the worker records as pruned: a crash exits with anything else.
Used by train's `OptunaPruning` callback (pruning.py: per validation epoch) and by compose's suite
runs (apps/compose_suite.py: per melody).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import hydra
import optuna

from deepchorale.search.study import open_storage

# Beside the reporting, not the Lightning callback: the worker reads it and must not load Lightning.
PRUNED_EXIT = 75  # EX_TEMPFAIL: distinct from a crash (1) and from bad input (2)


def reopen_trial(spec: dict) -> optuna.Trial:
    pruner = hydra.utils.instantiate(spec["pruner"]) if spec.get("pruner") else None
    study = optuna.load_study(study_name=spec["study_name"], storage=open_storage(spec["storage"]),
                              pruner=pruner)  # fmt: skip
    # Optuna has no public way to reopen a trial by number in another process; its own distributed
    # integrations build `Trial(study, trial_id)` the same way.
    trial_id = study._storage.get_trial_id_from_study_id_trial_number(study._study_id, spec["number"])
    return optuna.trial.Trial(study, trial_id)


class TrialReporter:
    """The trial named by a trial.json, opened on its first report."""

    def __init__(self, trial_file: str | Path) -> None:
        self.spec = json.loads(Path(trial_file).read_text())
        self.trial: optuna.Trial | None = None

    def report(self, value: float, step: int) -> None:
        if self.trial is None:
            self.trial = reopen_trial(self.spec)
        self.trial.report(value, step=step)  # NaN included: Optuna's pruners prune on it

    def should_prune(self) -> bool:
        return self.trial is not None and self.trial.should_prune()

    def stop(self, when: str) -> NoReturn:
        print(f"trial {self.spec['number']} pruned {when}", file=sys.stderr)
        raise SystemExit(PRUNED_EXIT)
