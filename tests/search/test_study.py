"""The shared study on a real journal file: two workers' trials, a lost worker's trial retried."""

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from optuna.trial import TrialState

from deepchorale.search.study import (
    Heartbeat,
    StudyError,
    budget_used,
    claim,
    fail_stale_trials,
    markdown_table,
    open_study,
    storage_spec,
    trial_table,
)


def test_two_workers_share_one_journal_study(tmp_path):
    spec = storage_spec(None, tmp_path)
    assert spec == str(tmp_path / "journal.log")
    first, second = (open_study("s", spec, ["maximize"]) for _ in range(2))
    a, b = first.ask(), second.ask()
    assert a.number != b.number
    first.tell(a, 1.0)
    second.tell(b, 2.0)
    assert open_study("s", spec, ["maximize"]).best_value == 2.0


def test_a_study_with_the_other_direction_is_refused(tmp_path):
    spec = storage_spec(None, tmp_path)
    open_study("s", spec, ["minimize"])
    with pytest.raises(StudyError, match="exists with direction minimize"):
        open_study("s", spec, ["maximize"])


def test_a_trial_whose_worker_stopped_stamping_is_failed_and_retried(tmp_path):
    spec = storage_spec(None, tmp_path)
    study = open_study("s", spec, ["minimize"])
    done = study.ask()
    done.suggest_float("x", 0, 1)
    study.tell(done, 0.5)
    lost = study.ask()
    x = lost.suggest_float("x", 0, 1)
    with Heartbeat(lost, interval=0.05):
        time.sleep(0.2)
        assert fail_stale_trials(open_study("s", spec, ["minimize"]), stale_after=5.0) == []  # still beating
    time.sleep(0.3)  # the worker is gone: no stamp for longer than stale_after
    resumed = open_study("s", spec, ["minimize"])
    assert fail_stale_trials(resumed, stale_after=0.2) == [lost.number]
    assert resumed.trials[lost.number].state == TrialState.FAIL
    assert budget_used(resumed) == 1  # the lost trial does not count; its retry will
    retry = resumed.ask()
    assert retry.suggest_float("x", 0, 1) == x and retry.user_attrs["retry_of"] == lost.number
    resumed.tell(retry, 0.25)
    rows = {row["number"]: row for row in trial_table(resumed)}
    assert rows[done.number]["state"] == "complete" and rows[done.number]["value"] == 0.5
    assert rows[lost.number]["state"] == "stale"
    assert rows[retry.number]["retry_of"] == lost.number and budget_used(resumed) == 2
    lines = markdown_table(trial_table(resumed), ["loss"], ["minimize"]).splitlines()
    assert lines[0] == "| trial | state | loss | x | seconds |"
    assert [line.split(" | ")[1] for line in lines[2:]] == ["complete", "complete", "stale"]  # best first
    assert lines[2].startswith(f"| {retry.number} | complete | 0.25 |")


def test_a_trial_whose_worker_process_is_gone_is_retried_at_once(tmp_path):
    study = open_study("s", storage_spec(None, tmp_path), ["minimize"])
    alive, lost = study.ask(), study.ask()
    claim(alive)  # this process: alive
    gone = subprocess.Popen(["true"])
    gone.wait()
    lost.set_user_attr("worker", {"host": socket.gethostname(), "pid": gone.pid})
    assert fail_stale_trials(study, stale_after=3600) == [lost.number]  # no need to wait for its stamp
    assert study.trials[alive.number].state == TrialState.RUNNING


def test_a_torn_record_with_another_written_onto_it_is_unglued(tmp_path, capsys):
    """A journal broken before the mending existed: a torn record, then a whole one on the same line."""
    spec = storage_spec(None, tmp_path)
    study = open_study("s", spec, ["maximize"])
    study.tell(study.ask(), 1.0)
    journal = tmp_path / "journal.log"
    whole = journal.read_bytes()
    last = whole.splitlines()[-1]
    journal.write_bytes(whole + last[: len(last) // 2] + last + b"\n")
    mended = open_study("s", spec, ["maximize"])
    assert f"{journal}: line {len(whole.splitlines()) + 1}: dropped a torn record" in capsys.readouterr().err
    assert [t.value for t in mended.trials] == [1.0]


def test_a_line_that_is_no_record_is_refused_naming_it(tmp_path):
    spec = storage_spec(None, tmp_path)
    open_study("s", spec, ["maximize"])
    journal = tmp_path / "journal.log"
    journal.write_bytes(journal.read_bytes() + b"not a record\n")
    with pytest.raises(StudyError, match=rf"{journal} line 2 is no journal record; remove that line"):
        open_study("s", spec, ["maximize"])


def torn_write(journal: Path) -> None:
    """What a worker killed mid-write leaves: half of a record appended, by a process SIGKILLed
    before it could write the rest (Optuna appends a record with one write under its lock)."""
    record = journal.read_bytes().splitlines()[-1] + b"\n"
    script = (
        "import os, signal, sys\n"
        f"fd = os.open({str(journal)!r}, os.O_WRONLY | os.O_APPEND)\n"
        f"os.write(fd, {record[: len(record) // 2]!r})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
        f"os.write(fd, {record[len(record) // 2 :]!r})\n"
    )
    killed = subprocess.run([sys.executable, "-c", script], timeout=60)
    assert killed.returncode == -signal.SIGKILL
    assert not journal.read_bytes().endswith(b"\n")


def test_a_record_torn_by_a_killed_writer_is_cut_off_and_the_study_goes_on(tmp_path, capsys):
    spec = storage_spec(None, tmp_path)
    study = open_study("s", spec, ["maximize"])
    for value in (1.0, 2.0):
        study.tell(study.ask(), value)
    journal = tmp_path / "journal.log"
    torn_write(journal)
    resumed = open_study("s", spec, ["maximize"])
    assert f"{journal}: cut off a torn last record" in capsys.readouterr().err
    resumed.tell(resumed.ask(), 3.0)  # appended after the cut, not onto the torn half
    assert [t.value for t in open_study("s", spec, ["maximize"]).trials] == [1.0, 2.0, 3.0]
    assert capsys.readouterr().err.count("torn") == 0
