"""Hydra multiruns on a real Slurm cluster, started on localhost by slurm/start_local_cluster.sh."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from tests.conftest import CACHE_DIR, REPO

needs_slurm = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("slurmctld") or not shutil.which("munged"),
    reason="a local Slurm cluster needs root and Debian's slurm packages (scripts/setup.sh installs them)",
)


def start_cluster(state: Path) -> dict:
    start = subprocess.run(["bash", str(REPO / "slurm" / "start_local_cluster.sh"), str(state)],
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert start.returncode == 0, start.stderr
    return {**os.environ, "SLURM_CONF": str(state / "slurm.conf"), "DEEPCHORALE_CACHE": str(CACHE_DIR)}


def stop_cluster(state: Path) -> None:
    subprocess.run(["bash", str(REPO / "slurm" / "stop_local_cluster.sh"), str(state)], timeout=60)


@pytest.fixture
def slurm_env(tmp_path_factory):
    # A cluster per test: when a job step's completion races its job's end, slurmctld can keep the
    # node's CPUs allocated after the job is done, and every later job of that cluster would wait.
    state = tmp_path_factory.mktemp("slurm")
    yield start_cluster(state)
    stop_cluster(state)


def sbatch(env: dict, *args: str) -> str:
    submit = subprocess.run(
        ["sbatch", "--parsable", *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert submit.returncode == 0, submit.stderr
    return submit.stdout.strip().split(";")[0]


def job_states(env: dict) -> str:
    return subprocess.run(["squeue", "-h", "-o", "%i %T"], env=env, capture_output=True, text=True,
                          timeout=60).stdout  # fmt: skip


@needs_slurm
def test_a_stopped_cluster_leaves_no_job_step_to_end_the_next_clusters_job(tmp_path):
    """A job step left running outlived its controller, kept retrying to report its job's end, and
    reached the next cluster's controller, which then ended that cluster's job 1: a search worker,
    mid-trial (CI, 2026-12-06). Stopping a cluster now ends its jobs and their steps."""
    first = start_cluster(tmp_path / "first")
    try:
        sbatch(first, f"--output={tmp_path}/old.out", "--wrap", "srun sleep 10")
        wait_for(lambda: "RUNNING" in job_states(first), 30, "the first cluster's job to run")
    finally:
        stop_cluster(tmp_path / "first")
    assert not subprocess.run(["pgrep", "-x", "slurmstepd"], capture_output=True).stdout
    second = start_cluster(tmp_path / "second")
    try:
        output = tmp_path / "new.out"
        assert sbatch(second, f"--output={output}", "--wrap", "sleep 12; echo finished") == "1"
        wait_for(lambda: "finished" in output.read_text() if output.is_file() else False, 60, "the new job 1")
    finally:
        stop_cluster(tmp_path / "second")
    assert "CANCELLED" not in output.read_text()


@needs_slurm
def test_multirun_runs_as_a_slurm_job_array(slurm_env, tmp_path):
    sweep = tmp_path / "sweep"
    run = subprocess.run(
        [sys.executable, "-m", "deepchorale.cli", "data", "-m", "launcher=slurm",
         "data.dedupe_transpositions=true,false", f"hydra.sweep.dir={sweep}"],
        cwd=tmp_path, env=slurm_env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    counts = [json.loads((sweep / job / "results.json").read_text())["chorales"] for job in ("0", "1")]
    assert counts[0] <= counts[1]
    job_logs = list(Path(sweep, ".submitit").glob("*_0/*_log.out"))
    assert job_logs, "the job ran through Slurm (submitit keeps its logs per array task)"


@needs_slurm
def test_a_slurm_multirun_with_a_failed_job_exits_2_naming_it(slurm_env, tmp_path):
    """The launching process sees no exception from a job that failed on bad input (it returned NaN
    in its own process): `FailedJobs` reads the jobs' results.json instead."""
    sweep = tmp_path / "sweep"
    run = subprocess.run(
        [sys.executable, "-m", "deepchorale.cli", "data", "-m", "launcher=slurm",
         "data.composer=bach,nobody", f"hydra.sweep.dir={sweep}"],
        cwd=tmp_path, env=slurm_env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr[-2000:]
    last = run.stderr.strip().splitlines()[-1]
    job = "1 (launcher=slurm data.composer=nobody)"
    failed = f"deepchorale data: error: 1 job(s) failed: {job} in {sweep / '1'}: "
    assert last.startswith(failed) and "'nobody'" in last, last
    assert "chorales" in json.loads((sweep / "0" / "results.json").read_text())  # the other job ran


def checkpoint_epoch(path: Path) -> int:
    return torch.load(path, map_location="cpu", weights_only=True)["epoch"]


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.5)


@pytest.mark.slow  # Slurm holds a requeued job back before starting it again: minutes
@needs_slurm
def test_a_requeued_sbatch_training_resumes_from_its_checkpoint(slurm_env, tmp_path):
    runs, output = tmp_path / "runs", tmp_path / "slurm-%A_%a.out"
    # An endless run (no reachable max_epochs), so the requeue always lands mid-training.
    submit = subprocess.run(
        ["sbatch", "--parsable", "--array=0", "--cpus-per-task=1", "--mem=2G", f"--output={output}",
         "--open-mode=append", str(REPO / "slurm" / "train_array.sbatch"), "experiment=coconet_small",
         "debug=default", "model.net.num_layers=4", "model.net.num_filters=16", "trainer.max_epochs=100000",
         "logger=csv", "callbacks.generated_samples=null", "callbacks.early_stopping=null"],
        cwd=REPO, env={**slurm_env, "DEEPCHORALE_SLURM_RUNS": str(runs)}, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert submit.returncode == 0, submit.stderr
    job = submit.stdout.strip().split(";")[0]
    last = runs / job / "0" / "checkpoints" / "last.ckpt"
    log = tmp_path / f"slurm-{job}_0.out"
    try:
        wait_for(lambda: last.is_file() and checkpoint_epoch(last) >= 1, 300, "a first checkpoint")
        requeue = subprocess.run(["scontrol", "requeue", f"{job}_0"], env=slurm_env, capture_output=True,
                                 text=True, timeout=60)  # fmt: skip
        assert requeue.returncode == 0, requeue.stderr
        killed_at = checkpoint_epoch(last)
        wait_for(lambda: "Restoring states from the checkpoint" in log.read_text(), 400, "the resumed task")
        wait_for(lambda: checkpoint_epoch(last) > killed_at + 1, 120, "training to go on after the resume")
    finally:
        subprocess.run(["scancel", job], env=slurm_env, timeout=60)
    state = subprocess.run(["scontrol", "show", "job", f"{job}_0"], env=slurm_env, capture_output=True,
                           text=True, timeout=60).stdout  # fmt: skip
    assert "Restarts=1" in state
    resumed = torch.load(last, map_location="cpu", weights_only=True)
    assert resumed["global_step"] == 2 * (resumed["epoch"] + 1)  # steps and epochs agree after the resume
