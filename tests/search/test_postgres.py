"""The cluster storage: the same study code on a real, throwaway PostgreSQL server.

Skipped where PostgreSQL's server binaries or its `postgres` user are missing (they are not part of
the project's set-up; this machine kind has them)."""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from optuna.trial import TrialState

from deepchorale.search.reporting import reopen_trial
from deepchorale.search.study import Heartbeat, fail_stale_trials, open_study, storage_spec

BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def has_postgres_user() -> bool:
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return True


@pytest.fixture(scope="module")
def postgres_url():
    if not BIN or os.geteuid() != 0 or not has_postgres_user():
        pytest.skip("needs PostgreSQL's server binaries and its postgres user (and root to switch to it)")
    # Not under pytest's tmp_path: its root-only parent folder would keep the postgres user out.
    folder = Path(tempfile.mkdtemp(prefix="deepchorale-pg-"))
    shutil.chown(folder, "postgres")
    server = ["runuser", "-u", "postgres", "--", f"{BIN[-1]}/pg_ctl", "-D", f"{folder}/data"]
    subprocess.run([*server, "initdb", "-o", "-A trust -U postgres"], check=True, capture_output=True,
                   timeout=120)  # fmt: skip
    options = f"-k {folder} -c listen_addresses='' -p 55433"  # a Unix socket only: no port is opened
    subprocess.run([*server, "-o", options, "-l", f"{folder}/log", "-w", "start"], check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    try:
        yield f"postgresql+psycopg2://postgres@/postgres?host={folder}&port=55433"
    finally:
        subprocess.run([*server, "-m", "immediate", "stop"], capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def test_workers_and_trial_processes_share_a_postgres_study(postgres_url, tmp_path):
    spec = storage_spec(postgres_url, tmp_path)
    assert spec == postgres_url
    pruner = {"_target_": "optuna.pruners.ThresholdPruner", "upper": 1.0}
    first, second = (open_study("pg", spec, ["minimize"]) for _ in range(2))
    a, b = first.ask(), second.ask()
    assert a.number != b.number
    # What a trial process does: reopen its trial by number, report, ask the pruner.
    reopened = reopen_trial({"study_name": "pg", "storage": spec, "number": b.number, "pruner": pruner})
    reopened.report(0.5, step=0)
    assert not reopened.should_prune()
    reopened.report(2.0, step=1)
    assert reopened.should_prune()
    second.tell(b, state=TrialState.PRUNED)
    with Heartbeat(a, interval=0.05):
        time.sleep(0.2)
    time.sleep(0.3)
    assert fail_stale_trials(open_study("pg", spec, ["minimize"]), stale_after=0.2) == [a.number]
    states = [t.state for t in open_study("pg", spec, ["minimize"]).trials]
    assert states == [TrialState.FAIL, TrialState.PRUNED, TrialState.WAITING]  # a's retry is queued
