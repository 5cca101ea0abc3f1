"""Hydra multiruns on a real Slurm cluster, started on localhost by slurm/start_local_cluster.sh."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CACHE_DIR, REPO

needs_slurm = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("slurmctld") or not shutil.which("munged"),
    reason="a local Slurm cluster needs root and Debian's slurm packages (scripts/setup.sh installs them)",
)


@pytest.fixture(scope="module")
def slurm_env(tmp_path_factory):
    state = tmp_path_factory.mktemp("slurm")
    start = subprocess.run(
        ["bash", str(REPO / "slurm" / "start_local_cluster.sh"), str(state)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert start.returncode == 0, start.stderr
    yield {**os.environ, "SLURM_CONF": str(state / "slurm.conf"), "DEEPCHORALE_CACHE": str(CACHE_DIR)}
    subprocess.run(["bash", str(REPO / "slurm" / "stop_local_cluster.sh")], timeout=60)


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
