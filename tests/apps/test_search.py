"""`deepchorale search`: real workers, real trial processes, a real journal study (and real Slurm).

Trials here are cheap runs: `deepchorale data` (a cached corpus) for the bookkeeping, and the
coconet_debug space (a tiny Coconet, seconds per trial) where pruning is the point.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from deepchorale.search.study import open_storage
from tests.conftest import CACHE_DIR, REPO
from tests.search.test_study import torn_write
from tests.test_slurm import needs_slurm, slurm_env  # noqa: F401  (the local cluster fixture)

ENV = {**os.environ, "DEEPCHORALE_CACHE": str(CACHE_DIR)}
# The data app's trials: a composer with no corpus crashes (exit 2), the others finish.
DATA_SEARCH = [
    "search.task=data",
    "search.objective=chorales",
    "search.direction=maximize",
    "hparams_search/sampler=random",
    "search.heartbeat_seconds=1",
    "+search.params={data.composer:{type:categorical,choices:[bach,nobody]},"
    "data.dedupe_transpositions:{type:categorical,choices:[true,false]}}",
    "search.enqueue=[{data.composer:bach,data.dedupe_transpositions:true},"
    "{data.composer:nobody,data.dedupe_transpositions:true},{data.composer:bach,data.dedupe_transpositions:false}]",
]


def search(*overrides: str, cwd: Path, wait: bool = True):
    command = [sys.executable, "-m", "deepchorale.cli", "search", *overrides]
    if not wait:  # its own process group, so a test can kill the worker and its trial at once
        return subprocess.Popen(command, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)  # fmt: skip
    return subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=600)


def load(study_dir: Path, name: str) -> optuna.Study:
    return optuna.load_study(study_name=name, storage=open_storage(str(study_dir / "journal.log")))


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("+search.params.nope={type:float,low:0,high:1}", "unknown parameter nope for deepchorale compose"),
        ("+search.params.x={type:float,low:1,high:0}", "parameter x: needs low < high"),
        ("search.task=nothing", "search.task 'nothing' is not an app"),
        ("search.overrides=[]", "pruning a compose trial needs a suite of melodies"),
        ("search.direction=[maximize,minimize]", "search.direction needs one direction per objective (1)"),
    ],
)
def test_a_bad_search_is_refused_in_one_line_before_any_trial(override, message, tmp_path):
    run = search("hparams_search=compose", override, f"search.study_dir={tmp_path / 'study'}", cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [run.stderr.strip()] and message in run.stderr
    assert not (tmp_path / "study" / "trials").exists() and not (tmp_path / "study" / "journal.log").exists()


def test_a_killed_search_resumes_and_a_crashing_trial_is_only_failed(tmp_path):
    study_dir = tmp_path / "study"
    args = [*DATA_SEARCH, "search.n_trials=3", f"search.study_dir={study_dir}"]
    worker = search(*args, cwd=tmp_path, wait=False)
    try:
        deadline = time.monotonic() + 300
        while not (study_dir / "trials" / "2" / "trial.json").is_file():  # trials 0 and 1 are done
            assert worker.poll() is None and time.monotonic() < deadline, worker.stderr.read()
            time.sleep(0.2)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its running trial, mid-trial
        worker.wait()
    before = load(study_dir, "default").trials
    assert [t.state for t in before] == [TrialState.COMPLETE, TrialState.FAIL, TrialState.RUNNING]

    resumed = search(*args, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "trial 2 lost its worker" in resumed.stdout
    trials = load(study_dir, "default").trials
    assert trials[0].value == before[0].value == 405  # the finished trial is kept as it was
    assert "no split manifest for composer 'nobody'" in trials[1].user_attrs["error"]
    assert trials[2].state == TrialState.FAIL
    assert trials[3].state == TrialState.COMPLETE and trials[3].user_attrs["retry_of"] == 2
    assert trials[3].params == trials[2].params and len(trials) == 4
    for number in (0, 3):  # every finished trial is a normal run dir
        run_dir = study_dir / "trials" / str(number)
        files = {p.name for p in run_dir.iterdir()}
        assert {"config.yaml", "results.json", "trial.json", "trial.log"} <= files
    for number, state in ((0, b"complete"), (1, b"fail"), (3, b"complete")):  # the worker's W&B runs
        (log,) = (study_dir / "trials" / str(number) / "wandb").glob("offline-run-*/run-*.wandb")
        assert b"optuna/state" in log.read_bytes() and state in log.read_bytes()
    table = json.loads((study_dir / "study.json").read_text())["trials"]
    assert [row["state"] for row in table] == ["complete", "fail", "stale", "complete"]
    (worker_dir,) = [d for d in (study_dir / "workers").iterdir() if (d / "results.json").is_file()]
    assert (worker_dir / "config.yaml").is_file()


def check_pruning_study(study_dir: Path, trials: int) -> optuna.Study:
    study = load(study_dir, "coconet_debug")
    states = [t.state for t in study.trials]
    assert len(states) == trials and set(states) <= {TrialState.COMPLETE, TrialState.PRUNED}
    assert TrialState.PRUNED in states and TrialState.COMPLETE in states
    for trial in study.trials:
        run_dir = study_dir / "trials" / str(trial.number)
        assert (run_dir / "config.yaml").is_file()
        assert (run_dir / "results.json").is_file() == (trial.state == TrialState.COMPLETE)
        assert trial.intermediate_values  # every trial reported its validation loss
        # Its W&B run is grouped by study and named by trial; a pruned one says so.
        (log,) = (run_dir / "wandb").glob("offline-run-*/run-*.wandb")
        record = log.read_bytes()
        assert b"coconet_debug" in record and f"coconet_debug-{trial.number}".encode() in record
        assert (b"optuna/state" in record) == (trial.state == TrialState.PRUNED)
    return study


def test_a_pruning_search_records_pruned_trials_as_pruned(tmp_path):
    run = search("hparams_search=coconet_debug", "search.n_trials=2", f"search.study_dir={tmp_path / 's'}",
                 cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert "trial 1 pruned" in run.stdout
    check_pruning_study(tmp_path / "s", trials=2)


@pytest.mark.slow  # two workers of two trials each through Slurm: about two minutes
@needs_slurm
def test_a_pruning_search_runs_as_a_slurm_array_of_workers(slurm_env, tmp_path):  # noqa: F811
    study_dir = tmp_path / "study"
    submit = subprocess.run(
        ["sbatch", "--parsable", "--array=0-1", "--cpus-per-task=1", "--mem=3G",
         f"--output={tmp_path}/search-%A_%a.out", str(REPO / "slurm" / "search_array.sbatch"),
         "hparams_search=coconet_debug", "search.n_trials=4", f"search.study_dir={study_dir}"],
        cwd=REPO, env=slurm_env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert submit.returncode == 0, submit.stderr
    job = submit.stdout.strip().split(";")[0]
    deadline = time.monotonic() + 400
    try:
        while subprocess.run(["squeue", "-h", "-j", job], env=slurm_env, capture_output=True, text=True,
                             timeout=60).stdout.strip():  # fmt: skip
            assert time.monotonic() < deadline, "the search array did not finish"
            time.sleep(2)
    finally:
        subprocess.run(["scancel", job], env=slurm_env, timeout=60)
    logs = {path.name: path.read_text() for path in tmp_path.glob("search-*.out")}
    assert len(logs) == 2, logs
    study = check_pruning_study(study_dir, trials=4)
    workers = [json.loads(p.read_text()) for p in (study_dir / "workers").glob("*/results.json")]
    assert sorted(w["worker"] for w in workers) == [0, 1], logs
    assert sum(len(w["trials"]) for w in workers) == len(study.trials) == 4


@pytest.mark.slow  # two worker starts with a trial each: about 35 s here
def test_a_journal_torn_by_a_killed_worker_is_mended_with_every_finished_trial_kept(tmp_path):
    study_dir = tmp_path / "study"
    journal = study_dir / "journal.log"
    first = search(*DATA_SEARCH, "search.n_trials=1", f"search.study_dir={study_dir}", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    finished = (TrialState.COMPLETE, TrialState.FAIL)
    before = [(t.number, t.state, t.value) for t in load(study_dir, "default").trials if t.state in finished]
    assert [state for _, state, _ in before] == [TrialState.COMPLETE]
    torn_write(journal)
    resumed = search(*DATA_SEARCH, "search.n_trials=2", f"search.study_dir={study_dir}", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"{journal}: cut off a torn last record" in resumed.stderr
    assert journal.read_bytes().endswith(b"\n")  # whole again: the next start has nothing to mend
    trials = load(study_dir, "default").trials
    assert [(t.number, t.state, t.value) for t in trials[:1]] == before  # every finished trial kept
    assert [t.state for t in trials[1:]] == [TrialState.FAIL, TrialState.WAITING]  # the next one ran


# compose trials on a tiny suite (two tunes, short tracks, a few sampling steps) over a tiny space.
COMPOSE_SUITE = [
    "search.overrides=['debug=compose','suite=small','suite.melodies=[ode_to_joy,twinkle_twinkle]',"
    "'duration.target_seconds=10']",
    "~search.params",
    "+search.params={harmonize.steps:{type:int,low:2,high:6},revise.rounds:{type:int,low:0,high:2}}",
    "search.enqueue=[]",
    "search.heartbeat_seconds=1",
]


@pytest.mark.slow  # three compose trials: about a minute on 2 cores
def test_compose_trials_measure_a_suite_and_a_poor_one_is_pruned_after_a_melody(tmp_path):
    study_dir = tmp_path / "study"
    args = [
        "hparams_search=compose",
        *COMPOSE_SUITE,
        f"search.study_dir={study_dir}",
        "hparams_search/pruner=threshold",
    ]
    # A bar every setting clears (scores are at most 100): the first trial runs the whole suite.
    first = search(*args, "search.n_trials=1", "search.pruner.upper=1000", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    # The same study, now with a bar no setting clears: the next trial stops after its first melody.
    second = search(*args, "search.n_trials=2", "search.pruner.lower=101", cwd=tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    complete, pruned = load(study_dir, "compose").trials
    assert (complete.state, pruned.state) == (TrialState.COMPLETE, TrialState.PRUNED)
    results = json.loads((study_dir / "trials" / "0" / "results.json").read_text())
    assert (
        complete.value == results["judge_score"]
        and complete.user_attrs["ci"]["judge_score"] == results["judge_score_ci"]
    )
    assert sorted(complete.intermediate_values) == [1, 2]  # the running score after each melody
    assert complete.intermediate_values[2] == pytest.approx(results["judge_score"])
    assert list(pruned.intermediate_values) == [1] and "trial 1 pruned" in second.stdout
    assert not (study_dir / "trials" / "1" / "results.json").exists()
    assert len(list((study_dir / "trials" / "1" / "tracks").iterdir())) == 1
    study_md = (study_dir / "study.md").read_text()
    assert "judge_score CI" in study_md and "| 1 | pruned |" in study_md


@pytest.mark.slow  # three compose trials and a selection: about a minute on 2 cores
def test_a_multi_objective_search_writes_its_pareto_front_and_select_exports_the_best_configuration(tmp_path):
    study_dir = tmp_path / "study"
    run = search("hparams_search=compose_pareto", *COMPOSE_SUITE, "search.n_trials=3",
                 f"search.study_dir={study_dir}", cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    study = load(study_dir, "compose_pareto")
    assert [d.name for d in study.directions] == ["MAXIMIZE", "MINIMIZE"]
    assert all(t.state == TrialState.COMPLETE and len(t.values) == 2 for t in study.trials)
    front = sorted(t.number for t in study.best_trials)
    study_md = (study_dir / "study.md").read_text()
    pareto = study_md.split("## Pareto front")[1]
    assert sorted(int(line.split(" | ")[0].strip("| ")) for line in pareto.splitlines()
                  if line.startswith("| ") and "trial" not in line) == front  # fmt: skip
    assert f"Pareto front: trials {', '.join(map(str, front))}" in run.stdout

    selection = tmp_path / "select"
    command = [sys.executable, "-m", "deepchorale.cli", "select", f"runs={study_dir / 'trials'}",
               f"hydra.run.dir={selection}"]  # fmt: skip
    chosen = subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=300)
    assert chosen.returncode == 0, chosen.stderr[-3000:]
    configurations = json.loads((selection / "configurations.json").read_text())
    best = configurations[0]
    assert best["low"] <= best["judge_score mean"] <= best["high"] and best["tracks"] == 2
    assert {row["config"] for row in configurations if row["pareto"]} and "seconds_per_track" in best
    results = json.loads((selection / "results.json").read_text())
    winner = json.loads((Path(results["winner"]["run"]) / "results.json").read_text())
    exported = json.loads((Path(results["winner"]["bundle"]) / "results.json").read_text())
    assert exported == winner and results["winner"]["configuration"] == best
    report = (selection / "report.html").read_text()
    assert (
        "<h2>Configurations</h2>" in report and "<h2>Pareto front</h2>" in report and "pareto-0.svg" in report
    )
