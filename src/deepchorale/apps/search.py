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
from pathlib import Path
from typing import TYPE_CHECKING

import hydra
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf

from deepchorale.apps import APPS
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


def build_search(cfg: DictConfig) -> Search:
    from deepchorale.search.space import SpaceError, check_space
    from deepchorale.search.study import storage_spec
    from deepchorale.search.worker import Search

    s = cfg.search
    if s.task not in APPS or s.task == "search":
        raise UserInputError(f"search.task {s.task!r} is not an app to run trials of ({', '.join(APPS)})")
    if s.direction not in ("minimize", "maximize"):
        raise UserInputError(f"search.direction must be minimize or maximize, not {s.direction!r}")
    if not isinstance(s.n_trials, int) or s.n_trials < 1:
        raise UserInputError(f"search.n_trials must be a positive integer, not {s.n_trials!r}")
    if s.pruning_metric and s.task != "train":
        raise UserInputError(f"pruning needs validation epochs, which deepchorale {s.task} has not")
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
    study_dir = Path(s.study_dir).resolve()
    return Search(
        task=s.task,
        study_name=s.study_name,
        study_dir=study_dir,
        storage=storage_spec(s.storage, study_dir),
        space=space,
        objective=s.objective,
        direction=s.direction,
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
    print(f"study {search.study_name}: {search.storage} -> {search.study_dir}/trials/")
    try:
        results = run_worker(search, make_sampler, seed=cfg.seed, worker=int(cfg.search.worker))
    except StudyError as error:
        raise UserInputError(str(error)) from error
    best = results["best"]
    if best:
        print(f"best: trial {best['number']} {search.objective} {best['value']:.4g} {best['params']}")
    return results
