"""A search worker: ask the shared study for a trial, run it as a CLI process, tell the outcome.

Each trial is a normal run of another app (`deepchorale train ...`, `deepchorale compose ...`) in
`<study dir>/trials/<number>/`, so it has its config.yaml, results.json and W&B run like any run,
and a crash cannot take the worker down. The outcome comes from the process: exit 0 with a finite
objective in results.json is COMPLETE, exit `PRUNED_EXIT` is PRUNED (the trial's own pruning
callback decided), anything else is FAIL with the last line of the trial's log as the error.
"""

from __future__ import annotations

import ctypes
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import optuna
from optuna.trial import TrialState

from deepchorale.atomic import write_json, write_text
from deepchorale.run_records import RESULTS, RecordError, as_number, lookup, read_results
from deepchorale.search.space import as_overrides, override_value, suggest
from deepchorale.search.study import (
    PRUNED_EXIT,
    Heartbeat,
    best_trial,
    budget_used,
    claim,
    fail_stale_trials,
    markdown_table,
    open_study,
    running,
    trial_table,
)
from deepchorale.search.trial_wandb import record_trial

optuna.logging.set_verbosity(optuna.logging.WARNING)  # the worker prints one line per trial itself


@dataclass
class Search:
    task: str  # the app each trial runs
    study_name: str
    study_dir: Path
    storage: str  # a journal file's path or an RDB URL (study.storage_spec)
    space: dict[str, dict]  # checked by space.check_space
    objective: str  # a key of the trial's results.json, read as select reads its criterion
    direction: str = "minimize"
    n_trials: int = 20
    overrides: list[str] = field(default_factory=list)  # fixed for every trial
    enqueue: list[dict] = field(default_factory=list)  # parameters to try first
    pruning_metric: str | None = None  # logged each validation epoch by the trial; None = no pruning
    pruner: dict | None = None  # the pruner's config, instantiated by each trial process
    # W&B: "logger" = the task's own W&B logger, grouped by study and named by trial through
    # overrides; "worker" = the task has no logger (compose): the worker records a run per trial.
    wandb: str = "none"
    heartbeat_seconds: float = 30.0


def trial_command(search: Search, number: int, params: dict, run_dir: Path) -> list[str]:
    command = [sys.executable, "-m", "deepchorale.cli", search.task, *search.overrides, *as_overrides(params),
               f"hydra.run.dir={override_value(str(run_dir))}"]  # fmt: skip
    if search.wandb == "logger":
        command += [f"logger.wandb.group={override_value(search.study_name)}",
                    f"logger.wandb.name={override_value(f'{search.study_name}-{number}')}"]  # fmt: skip
    if search.pruning_metric:
        trial_file = override_value(str(run_dir / "trial.json"))
        command.append(
            f"+callbacks.optuna_pruning={{_target_:deepchorale.search.pruning.OptunaPruning,trial:{trial_file}}}"
        )
    return command


LIBC = ctypes.CDLL(None)  # loaded here: the child between fork and exec must not dlopen


def die_with_parent() -> None:
    """In the child, before exec: end it (SIGTERM) if its worker dies, so no orphan trial runs on."""
    LIBC.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def last_line(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip()[:500] if lines else "no output"


def objective_value(run_dir: Path, objective: str) -> tuple[float | None, str | None]:
    """A trial that exited 0: (its objective, None) from its results.json, or (None, why there is none)."""
    try:
        value = lookup(read_results(run_dir), objective)
    except FileNotFoundError:
        return None, f"exit 0 but no {RESULTS}"
    except RecordError as error:
        return None, f"exit 0 but {error}"
    except KeyError:
        value = None
    if as_number(value) is None:
        return None, f"{RESULTS} has no finite {objective} (got {value!r})"
    return as_number(value), None


def run_trial(search: Search, study: optuna.Study, trial: optuna.Trial, params: dict) -> tuple:
    """Run one trial's process; returns (state, value, error, process seconds)."""
    run_dir = (search.study_dir / "trials" / str(trial.number)).resolve()
    # A trial's number is new to its study: a folder of that name is a discarded study's (one run per folder).
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    spec = {"study_name": search.study_name, "storage": search.storage, "number": trial.number,
            "monitor": search.pruning_metric, "pruner": search.pruner, "params": params}  # fmt: skip
    write_json(run_dir / "trial.json", spec)
    trial.set_user_attr("run_dir", str(run_dir))
    claim(trial)
    command = trial_command(search, trial.number, params, run_dir)
    start = time.perf_counter()
    with open(run_dir / "trial.log", "w") as log:
        # Started before the heartbeat thread: a fork with no other thread running is the safe one.
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        with Heartbeat(trial, search.heartbeat_seconds):
            code = process.wait()
    seconds = time.perf_counter() - start
    if code == PRUNED_EXIT:
        return TrialState.PRUNED, None, None, seconds
    if code != 0:
        return TrialState.FAIL, None, f"exit {code}: {last_line(run_dir / 'trial.log')}", seconds
    value, error = objective_value(run_dir, search.objective)
    return TrialState.FAIL if error else TrialState.COMPLETE, value, error, seconds


def run_worker(search: Search, make_sampler: Callable[[int], optuna.samplers.BaseSampler], seed: int = 0,
               worker: int = 0, say: Callable[[str], None] = print) -> dict:  # fmt: skip
    """Run trials until the study holds `n_trials` (finished or running); returns this worker's figures."""
    study = open_study(search.study_name, search.storage, search.direction)
    # Seeded apart per worker, and per trials already in the study, so that neither parallel workers
    # nor a resumed search draw the points an earlier start drew.
    study.sampler = make_sampler(seed + 1000 * worker + len(study.get_trials(deepcopy=False)))
    if worker == 0:  # one worker queues the first points, or parallel starts would queue them twice
        for params in search.enqueue:
            study.enqueue_trial(params, skip_if_exists=True)
    rows = []
    while True:
        for number in fail_stale_trials(study, stale_after=3 * search.heartbeat_seconds):
            say(f"trial {number} lost its worker: marked failed, its parameters queued again")
        if budget_used(study) >= search.n_trials:
            if not running(study):
                break
            # Wait for the other workers' trials: one may yet turn out lost, and need running again.
            time.sleep(search.heartbeat_seconds)
            continue
        start = time.perf_counter()
        trial = study.ask()
        params = suggest(trial, search.space)
        ask_seconds = time.perf_counter() - start
        state, value, error, process_seconds = run_trial(search, study, trial, params)
        trial.set_user_attr("seconds", {"ask": ask_seconds, "process": process_seconds})
        if error:
            trial.set_user_attr("error", error)
        start = time.perf_counter()
        study.tell(trial, value, state=state)
        tell_seconds = time.perf_counter() - start
        if search.wandb == "worker":
            record_trial(Path(trial.user_attrs["run_dir"]), search.study_name, search.task, trial.number,
                         params, state.name.lower(), value)  # fmt: skip
        rows.append({"number": trial.number, "state": state.name.lower(), "value": value, "params": params,
                     "error": error, "seconds": {"ask": ask_seconds, "process": process_seconds,
                                                 "tell": tell_seconds}})  # fmt: skip
        shown = f"{search.objective} {value:.4g}" if value is not None else (error or "")
        say(f"trial {trial.number} {state.name.lower()}: {shown} {params} [{process_seconds:.1f} s]")
    table = trial_table(study)
    write_json(search.study_dir / "study.json", {"study_name": search.study_name, "storage": search.storage,
               "objective": search.objective, "direction": search.direction, "trials": table})  # fmt: skip
    write_text(search.study_dir / "study.md", markdown_table(table, search.objective, search.direction))
    counts = {}
    for row in table:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    return {"study_name": search.study_name, "storage": search.storage, "worker": worker, "trials": rows,
            "study_counts": counts, "best": best_trial(study)}  # fmt: skip
