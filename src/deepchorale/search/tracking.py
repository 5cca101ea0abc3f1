"""A W&B run for a trial whose app logs none itself (compose, evaluate, data).

`train` trials get their W&B run from Lightning (grouped and named by the worker's overrides);
for the other apps the worker writes one after the trial, offline into the trial's run dir, with
the same grouping, the trial's parameters as config, its numeric figures and its outcome.
"""

from __future__ import annotations

import json
from pathlib import Path


def numeric_figures(results: dict, prefix: str = "") -> dict[str, float]:
    """Every number of a results.json, nested keys joined by `.` (as search objectives name them)."""
    figures = {}
    for key, value in results.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            figures.update(numeric_figures(value, f"{name}."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            figures[name] = value
    return figures


def record_trial(run_dir: Path, study_name: str, task: str, number: int, params: dict, state: str,
                 value: float | None) -> None:  # fmt: skip
    import wandb

    results_path = run_dir / "results.json"
    results = json.loads(results_path.read_text()) if results_path.is_file() else {}
    run = wandb.init(project="deepchorale", dir=str(run_dir), mode="offline", group=study_name,
                     name=f"{study_name}-{number}", job_type=task, tags=["search", state], config=params,
                     settings=wandb.Settings(silent=True, console="off"))  # fmt: skip
    run.summary.update({**numeric_figures(results), "optuna/state": state, "optuna/value": value})
    run.finish(exit_code=1 if state == "fail" else 0)
