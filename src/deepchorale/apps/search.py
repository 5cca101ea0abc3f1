"""`deepchorale search hparams_search=<space>`: one Optuna search worker on a shared study.

A worker of the project's own rather than a Hydra sweeper: hydra-optuna-sweeper needs Optuna < 3,
has no pruning and runs trials in blocking batches of `n_jobs`, and a sweeper runs
its jobs inside its own process, where a crashing trial ends the whole search. Here each trial is
its own `deepchorale <task>` process in `<study dir>/trials/<number>/`; any number of workers
share one study through its storage, and a killed search resumes where it stopped
(`deepchorale.search`). Everything is checked before the first trial: the space, the sampler,
and that the task's config knows every parameter (one line, exit 2, otherwise).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import hydra
from hydra.errors import HydraException
from omegaconf import DictConfig, ListConfig, OmegaConf

from deepchorale.apps import APPS
from deepchorale.apps.compose_suite import SCORE
from deepchorale.apps.runner import UserInputError, hydra_app

if TYPE_CHECKING:
    from deepchorale.search.worker import Search

OmegaConf.register_new_resolver("pid", os.getpid, replace=True)  # worker run dirs: unique per process


def first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def check_task_config(task: str, overrides: list[str], params: dict) -> DictConfig:
    """Compose the task's config with the fixed overrides, then with each parameter in turn, so an
    unknown or misspelt key is named before any trial starts. Returns the base config."""
    from deepchorale.search.space import as_overrides, example  # Optuna's: see `deepchorale.apps`

    try:
        base = hydra.compose(config_name=task, overrides=overrides)
    except HydraException as error:
        reason = first_line(error)
        raise UserInputError(f"search.overrides do not fit deepchorale {task}: {reason}") from error
    for name, spec in params.items():
        try:
            hydra.compose(config_name=task, overrides=[*overrides, *as_overrides({name: example(spec)})])
        except HydraException as error:
            reason = first_line(error)
            raise UserInputError(f"unknown parameter {name} for deepchorale {task}: {reason}") from error
    return base


def wandb_mode(task_config: DictConfig) -> str:
    """Who records a trial's W&B run: the task's logger, the worker (a task with no logger), none."""
    if OmegaConf.select(task_config, "logger.wandb") is not None:
        return "logger"
    return "none" if "logger" in task_config else "worker"  # logger=csv/none: the user said no


def as_list(value) -> list:
    return list(value) if isinstance(value, ListConfig) else [value]


def objectives_and_directions(s: DictConfig) -> tuple[list[str], list[str]]:
    """search.objective and search.direction: one key and its direction, or lists of the same length."""
    objectives, directions = [str(o) for o in as_list(s.objective)], as_list(s.direction)
    if not objectives or len(directions) != len(objectives):
        raise UserInputError(f"search.direction needs one direction per objective ({len(objectives)})")
    for direction in directions:
        if direction not in ("minimize", "maximize"):
            raise UserInputError(f"search.direction must be minimize or maximize, not {direction!r}")
    if len(objectives) > 1 and s.pruning_metric:
        raise UserInputError("Optuna prunes single-objective studies only: set search.pruning_metric=null")
    return objectives, directions


def check_pruning(task: str, metric: str, base: DictConfig) -> None:
    """Pruning needs intermediate values: train's validation epochs, or a compose suite's melodies."""
    if task == "compose":
        if OmegaConf.select(base, "suite") is None:
            raise UserInputError("pruning a compose trial needs a suite of melodies: add suite=small "
                                 "to search.overrides, or set search.pruning_metric=null")  # fmt: skip
        if metric != SCORE:
            raise UserInputError(
                f"a compose suite reports its running {SCORE}: set search.pruning_metric={SCORE}"
            )
    elif task != "train":
        raise UserInputError(
            f"pruning needs validation epochs or a compose suite: deepchorale {task} has none"
        )


def build_search(cfg: DictConfig) -> Search:
    from deepchorale.search.space import SpaceError, check_space
    from deepchorale.search.study import storage_spec
    from deepchorale.search.worker import Search

    s = cfg.search
    if s.task not in APPS or s.task == "search":
        raise UserInputError(f"search.task {s.task!r} is not an app to run trials of ({', '.join(APPS)})")
    objectives, directions = objectives_and_directions(s)
    if not isinstance(s.n_trials, int) or s.n_trials < 1:
        raise UserInputError(f"search.n_trials must be a positive integer, not {s.n_trials!r}")
    try:
        space = check_space(OmegaConf.to_container(s.params, resolve=True))
    except SpaceError as error:
        raise UserInputError(str(error)) from error
    if not space:
        raise UserInputError("the search space is empty: pick one, e.g. hparams_search=coconet")
    enqueue = OmegaConf.to_container(s.enqueue, resolve=True)
    for params in enqueue:
        outside = sorted(set(params) - set(space))
        if outside:
            raise UserInputError(f"search.enqueue names parameters outside the space: {outside}")
    overrides = list(s.overrides)
    base = check_task_config(s.task, overrides, space)
    if s.pruning_metric:
        check_pruning(s.task, s.pruning_metric, base)
    study_dir = Path(s.study_dir).resolve()
    return Search(
        task=s.task,
        study_name=s.study_name,
        study_dir=study_dir,
        storage=storage_spec(s.storage, study_dir),
        space=space,
        objectives=objectives,
        directions=directions,
        n_trials=s.n_trials,
        overrides=overrides,
        enqueue=enqueue,
        pruning_metric=s.pruning_metric,
        pruner=OmegaConf.to_container(s.pruner, resolve=True) if s.pruning_metric else None,
        wandb=wandb_mode(base),
        heartbeat_seconds=float(s.heartbeat_seconds),
    )


@hydra_app("search")
def main(cfg: DictConfig, output_dir: Path) -> dict:
    from deepchorale.search.study import StudyError
    from deepchorale.search.worker import run_worker

    search = build_search(cfg)

    def make_sampler(seed: int):
        return hydra.utils.instantiate(cfg.search.sampler, seed=seed)

    make_sampler(cfg.seed)  # a bad sampler config fails here, before the study is touched
    if search.pruner:
        hydra.utils.instantiate(search.pruner)
    # A line per trial as it ends, also in a Slurm log (a file, so block-buffered by default): a
    # worker's log shows where it is, and a worker that ends abruptly still shows what it did.
    sys.stdout.reconfigure(line_buffering=True)
    print(f"study {search.study_name}: {search.storage} -> {search.study_dir}/trials/")
    try:
        results = run_worker(search, make_sampler, seed=cfg.seed, worker=int(cfg.search.worker))
    except StudyError as error:
        raise UserInputError(str(error)) from error
    best = results["best"]
    if best:
        print(f"best: trial {best['number']} {search.objectives[0]} {best['value']:.4g} {best['params']}")
    elif len(search.objectives) > 1:
        print(f"Pareto front: trials {', '.join(str(row['number']) for row in results['pareto_front'])} "
              f"(study.md)")  # fmt: skip
    return results
