"""Experiment tracking: the W&B run of a job, closed on every way out and found again on resume.

W&B runs offline by default (no account, no network); `wandb sync <run dir>/wandb/offline-run-*`
uploads them later. Every job must close its run, also when it fails: wandb keeps one run per
process, so the next job of an in-process Hydra multirun would otherwise log into the failed one.
The apps' one wrapper (`apps/runner.py`) calls `finish_wandb` on every way out of a job.
"""

from __future__ import annotations

import sys
from pathlib import Path


def finish_wandb(exit_code: int = 0) -> None:
    """Close this process's W&B run, if one is open; a non-zero `exit_code` marks it failed.

    Returns once the run's files are complete on disk: `wandb.finish` only informs wandb's service
    process, which flushes and closes the run's log later (a reader right after a job, or a Slurm
    job killed at its end, could find it empty). Shutting the service down waits for that; the next
    job's `wandb.init` starts a new one (about a second, once per job).
    """
    wandb = sys.modules.get("wandb")  # never imported: no run to close (and no second of import)
    if wandb is not None and wandb.run is not None:
        wandb.finish(exit_code=exit_code)
        wandb.teardown(exit_code=exit_code)


def wandb_run_id(output_dir: str | Path) -> str | None:
    """The id of the latest W&B run saved in a run dir (`wandb/[offline-]run-<time>-<id>`), if any."""
    runs = sorted((Path(output_dir) / "wandb").glob("*run-*-*"), key=lambda p: p.name.split("run-")[1])
    return runs[-1].name.rsplit("-", 1)[1] if runs else None
