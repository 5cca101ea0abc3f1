"""`FailedJobs`, the Hydra callback (registered by `conf/hydra/default.yaml`) that ends a multirun
whose jobs recorded errors (`apps/runner.py` writes `{"error": ..., "job": ...}`) with status 2,
in one line naming each (its number, overrides, folder and reason). It reads the jobs'
`results.json`, so it also sees jobs that a launcher ran in other processes (Slurm), which an
in-process exception would not reach.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from deepchorale.apps.runner import USER_ERROR_EXIT


class FailedJobs(Callback):
    """At a multirun's end, in the process that launched it: exit status 2, naming every job whose
    `results.json` (written during this multirun) records an error, wherever the job ran."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self.started = time.time()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        failed = []
        for path in Path(config.hydra.sweep.dir).rglob("results.json"):
            if path.stat().st_mtime < self.started:
                continue  # an earlier multirun's job in the same sweep dir
            try:
                results = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if isinstance(results, dict) and "error" in results and "job" in results:
                failed.append((str(results["job"]), path.parent, str(results["error"])))
        if failed:
            failed.sort(key=lambda job: int(job[0].split(" ", 1)[0]))  # "<job number> (<overrides>)"
            app = kwargs.get("config_name") or config.hydra.job.name
            print(
                f"deepchorale {app}: error: {len(failed)} job(s) failed: "
                + "; ".join(f"{job} in {folder}: {reason}" for job, folder, reason in failed),
                file=sys.stderr,
            )
            sys.exit(USER_ERROR_EXIT)
