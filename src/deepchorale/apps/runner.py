"""The one wrapper every Hydra app runs in: config path, resolved config, results.json, one-line
errors, and W&B closed on every way out (lightning-hydra-template's `task_wrapper`).

`hydra_app("data")` turns `task(cfg, output_dir) -> dict` into a Hydra entry point that
- saves the fully resolved config as `config.yaml` in the run's output dir (Hydra's own
  `.hydra/config.yaml` keeps interpolations unresolved),
- writes the returned figures to `results.json` (`run_records`; atomically, so a failed single run
  leaves none: its record is the line on stderr and its exit status, as `select` and `search` read them),
- turns a `UserInputError`, or a config value that its `_target_` refuses, into one line on
  stderr: a single run then exits with status 2; a job of a multirun records why in its
  `results.json` and returns NaN (sweepers mark the trial failed), so the other jobs still run,
- lets any other exception, Ctrl-C or `SystemExit` of a single run through (Hydra prints a crash's
  traceback); a multirun job records a crash in its `results.json` (`{"error": ..., "job": ...}`)
  and its traceback in its log, says so in one line and returns NaN, so the sweep goes on to its
  end and `FailedJobs`' summary (Ctrl-C and `SystemExit` still end the sweep),
- keeps one run per folder: a run dir that holds an earlier run (its `config.yaml` or
  `results.json`) is refused in one line, exit status 2, before anything is written, unless the app
  resumes that run (train's `ckpt_path`); a multirun job clears its earlier namesake's files
  instead, saying so, since Hydra has already replaced that run's `.hydra/` record,
- finishes the job's W&B run, if one is open, on each of these paths with the job's exit status
  (non-zero marks the run failed), so the next job of an in-process multirun starts its own,
- keeps W&B quiet: its banner and summary (dozens of lines for one evaluated file) are off
  unless `WANDB_SILENT=false` asks for them; the run's files are written all the same,
- returns `results[cfg.optimized_metric]` when set, which Hydra sweepers optimise,
- gives the job its share of the CPUs, waiting passively (`deepchorale.cpu_threads`): all of them,
  or those a parallel launcher's `n_jobs` leaves each job,
- keeps freed host memory for reuse when the app's config says `retain_freed_memory: true`
  (`deepchorale.host_memory`: no page faults in each training step or Gibbs sweep).

`apps/failed_jobs.py` ends a multirun whose jobs recorded errors with status 2, naming them.
"""

from __future__ import annotations

import functools
import math
import os
import shutil
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import InstantiationException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

import deepchorale.resolvers  # noqa: F401  (registers ${best_precision:} before Hydra composes)
from deepchorale.atomic import write_text
from deepchorale.cpu_threads import fit_threads
from deepchorale.host_memory import retain_freed_memory
from deepchorale.run_records import RESULTS, write_results
from deepchorale.tracking import finish_wandb

CONFIG_PATH = "pkg://deepchorale.conf"
USER_ERROR_EXIT = 2
INTERRUPT_EXIT = 130  # the shell's status for a process ended by Ctrl-C (128 + SIGINT)


class UserInputError(Exception):
    """Bad input from the user: reported as one line, exit status 2."""


def instantiate_all(group: DictConfig | None) -> list:
    """Every `_target_` entry of a config group (entries set to null are switched off): the
    callbacks and loggers of an app."""
    if not group:
        return []
    return [hydra.utils.instantiate(entry) for entry in group.values() if entry and "_target_" in entry]


def swept_overrides(overrides: list[str]) -> list[str]:
    """A job's overrides that its multirun swept: those not on the command line as they stand
    (`melody=a,b` there is `melody=b` in a job). All of them in a process started by a launcher."""
    swept = [override for override in overrides if override not in sys.argv]
    return swept or list(overrides)


def user_error_reason(error: UserInputError | InstantiationException) -> BaseException:
    """What the user got wrong: for a refused config value, what its `_target_` said."""
    return error.__cause__ if isinstance(error, InstantiationException) and error.__cause__ else error


def exit_status(error: BaseException) -> int:
    """The status the process ends with when `error` escapes the job."""
    if isinstance(error, KeyboardInterrupt):
        return INTERRUPT_EXIT
    if isinstance(error, SystemExit):
        return error.code if isinstance(error.code, int) else 0 if error.code is None else 1
    return 1  # Hydra's status for a crash


def earlier_run(output_dir: Path) -> list[str]:
    """The marks of a run that used `output_dir` before this one: every app writes config.yaml first."""
    return [name for name in ("config.yaml", RESULTS) if (output_dir / name).exists()]


def clear_earlier_run(output_dir: Path, log_name: str) -> None:
    """Remove what an earlier run left, but Hydra's `.hydra/` and the log it has opened for this one."""
    for path in output_dir.iterdir():
        if path.name in (".hydra", log_name):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def describe(error: BaseException) -> str:
    name = type(error).__name__
    return f"{name}: {error}" if str(error) else name


def hydra_app(config_name: str, resumes: Callable[[DictConfig, Path], bool] | None = None) -> Callable:
    """`resumes(cfg, output_dir)`: whether this run continues the earlier run in its folder."""

    def decorate(task: Callable[[DictConfig, Path], dict]) -> Callable[[], None]:
        @hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name=config_name)
        @functools.wraps(task)
        def main(cfg: DictConfig):
            hydra_config = HydraConfig.get()
            output_dir = Path(hydra_config.runtime.output_dir)
            multirun = hydra_config.mode == RunMode.MULTIRUN
            job = None  # a multirun job's name: "<job number> (<overrides it swept>)"
            if multirun:
                job = f"{hydra_config.job.num} ({' '.join(swept_overrides(hydra_config.overrides.task))})"

            def end_job(status: int, reason: object = None) -> None:
                """Close the job's W&B run with its exit status (non-zero: failed). A failed job of a
                multirun records why: the sweep's other jobs go on, and `select` and `FailedJobs`
                read its results.json."""
                finish_wandb(status)
                if status and multirun:
                    write_results(output_dir, {"error": str(reason), "job": job})

            os.environ.setdefault("WANDB_SILENT", "true")  # read when W&B starts, in this job
            fit_threads(hydra_config.launcher.get("n_jobs") if multirun else None)
            earlier = earlier_run(output_dir)
            if earlier and resumes is not None and resumes(cfg, output_dir):
                (output_dir / RESULTS).unlink(missing_ok=True)  # a failed resume must not leave the old one
            elif earlier and multirun:
                clear_earlier_run(output_dir, f"{hydra_config.job.name}.log")
                print(f"deepchorale {config_name}: job {job}: cleared an earlier run from {output_dir}",
                      file=sys.stderr)  # fmt: skip
            elif earlier:
                print(
                    f"deepchorale {config_name}: error: {output_dir} already holds a run "
                    f"({', '.join(earlier)}); a run dir holds one run: choose another hydra.run.dir "
                    "or remove that one",
                    file=sys.stderr,
                )
                sys.exit(USER_ERROR_EXIT)
            write_text(output_dir / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))
            if cfg.get("retain_freed_memory") and not retain_freed_memory():
                print(f"deepchorale {config_name}: retain_freed_memory: not glibc, ignored", file=sys.stderr)
            try:
                results = task(cfg, output_dir)
            except (UserInputError, InstantiationException) as error:
                reason = user_error_reason(error)
                end_job(USER_ERROR_EXIT, reason)
                if not multirun:
                    print(f"deepchorale {config_name}: error: {reason}", file=sys.stderr)
                    sys.exit(USER_ERROR_EXIT)
                # Hydra's job runner catches only Exception: a job of a multirun must not exit.
                print(f"deepchorale {config_name}: job {job} failed: {reason}", file=sys.stderr)
                return math.nan
            except Exception as error:
                end_job(exit_status(error), describe(error))
                if not multirun:
                    raise
                # Hydra's launcher would end the sweep here with a traceback and no summary.
                with open(output_dir / f"{hydra_config.job.name}.log", "a") as log:
                    log.write(traceback.format_exc())
                print(f"deepchorale {config_name}: job {job} crashed: {describe(error)}", file=sys.stderr)
                return math.nan
            except BaseException as error:  # Ctrl-C, a callback's SystemExit: on after this
                end_job(exit_status(error), describe(error))
                raise
            end_job(0)
            write_results(output_dir, results)
            metric = cfg.get("optimized_metric")
            return results.get(metric) if metric else None

        return main

    return decorate
