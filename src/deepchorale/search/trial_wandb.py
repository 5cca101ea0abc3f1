"""A W&B run for a trial whose app logs none itself (compose, evaluate, data).

`train` trials get their W&B run from Lightning (grouped and named by the worker's overrides);
for the other apps the worker writes one after the trial, offline into the trial's run dir, with
the same grouping, the trial's parameters as config, its numeric figures and its outcome.
"""

from __future__ import annotations

from pathlib import Path

from deepchorale.run_records import RecordError, figures, read_results


def record_trial(run_dir: Path, study_name: str, task: str, number: int, params: dict, state: str,
                 value: float | None) -> None:  # fmt: skip
    import wandb

    try:
        results = read_results(run_dir)
    except (FileNotFoundError, RecordError):
        results = {}  # a failed trial: its run records the outcome alone
    run = wandb.init(project="deepchorale", dir=str(run_dir), mode="offline", group=study_name,
                     name=f"{study_name}-{number}", job_type=task, tags=["search", state], config=params,
                     settings=wandb.Settings(silent=True, console="off"))  # fmt: skip
    run.summary.update({**figures(results), "optuna/state": state, "optuna/value": value})
    run.finish(exit_code=1 if state == "fail" else 0)
