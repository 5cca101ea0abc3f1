"""What every Hydra app shares: config path, resolved config, results.json, one-line errors.

`hydra_app("data")` turns `task(cfg, output_dir) -> dict` into a Hydra entry point that
- saves the fully resolved config as `config.yaml` in the run's output dir (Hydra's own
  `.hydra/config.yaml` keeps interpolations unresolved),
- writes the returned figures to `results.json` (atomically, so a failed run leaves none),
- turns a `UserInputError`, or a config value that its `_target_` refuses, into one line on
  stderr: a single run then exits with status 2; a job of a multirun records why in its
  `results.json` and returns NaN (sweepers mark the trial failed), so the other jobs still run,
  and the multirun exits with status 2 at its end, naming the failed jobs,
- returns `results[cfg.optimized_metric]` when set, which Hydra sweepers optimise.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import InstantiationException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

import deepchorale.resolvers  # noqa: F401  (registers ${best_precision:} before Hydra composes)
from deepchorale.atomic import write_json, write_text

CONFIG_PATH = "pkg://deepchorale.conf"


class UserInputError(Exception):
    """Bad input from the user: reported as one line, exit status 2."""


def swept_overrides(overrides: list[str]) -> list[str]:
    """A job's overrides that its multirun swept: those not on the command line as they stand
    (`melody=a,b` there is `melody=b` in a job). All of them in a process started by a launcher."""
    swept = [override for override in overrides if override not in sys.argv]
    return swept or list(overrides)


def hydra_app(config_name: str) -> Callable:
    def decorate(task: Callable[[DictConfig, Path], dict]) -> Callable[[], None]:
        # Jobs of a multirun that ran in this process and failed: "<job number> (<overrides>)".
        # Hydra's job runner catches only Exception, so a job must not end in SystemExit.
        failed_jobs: list[str] = []

        @hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name=config_name)
        @functools.wraps(task)
        def run_job(cfg: DictConfig):
            hydra_config = HydraConfig.get()
            output_dir = Path(hydra_config.runtime.output_dir)
            write_text(output_dir / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))
            try:
                results = task(cfg, output_dir)
            except (UserInputError, InstantiationException) as error:
                reason = (
                    error.__cause__
                    if isinstance(error, InstantiationException) and error.__cause__
                    else error
                )
                if hydra_config.mode != RunMode.MULTIRUN:
                    print(f"deepchorale {config_name}: error: {reason}", file=sys.stderr)
                    sys.exit(2)
                job = f"{hydra_config.job.num} ({' '.join(swept_overrides(hydra_config.overrides.task))})"
                print(f"deepchorale {config_name}: job {job} failed: {reason}", file=sys.stderr)
                failed_jobs.append(job)
                write_json(output_dir / "results.json", {"error": str(reason), "job": job})
                return math.nan
            write_json(output_dir / "results.json", results)
            metric = cfg.get("optimized_metric")
            return results.get(metric) if metric else None

        @functools.wraps(task)
        def main() -> None:
            run_job()
            if failed_jobs:
                names = "; ".join(failed_jobs)
                print(
                    f"deepchorale {config_name}: error: {len(failed_jobs)} job(s) failed: {names}",
                    file=sys.stderr,
                )
                sys.exit(2)

        return main

    return decorate
