"""Run folders as users misuse them: one run per folder, names checked before the work, a multirun
that names its failed jobs, W&B that keeps quiet. Real commands, compose at `debug=compose`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.apps.test_runner import job_opening_wandb
from tests.security.test_select_reads_only_its_runs import make_run

QUICK = ["debug=compose", "duration.target_seconds=8"]


def deepchorale(*arguments: str, cwd: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "deepchorale.cli", *arguments]
    return subprocess.run(command, cwd=cwd, env=os.environ, capture_output=True, text=True, timeout=300)


def one_error_line(run: subprocess.CompletedProcess, app: str) -> str:
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and len(lines) == 1 and "Traceback" not in run.stderr, run.stderr[-3000:]
    assert lines[0].startswith(f"deepchorale {app}: error: ")
    return lines[0]


def test_a_run_dir_holding_an_earlier_run_is_refused_and_left_as_it_was(tmp_path):
    run_dir = tmp_path / "run"
    first = deepchorale("compose", *QUICK, f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    before = {path.name: path.stat().st_mtime_ns for path in run_dir.iterdir() if path.name != ".hydra"}
    # A second run there, failing (a bad melody) or not: either would have mixed with the first.
    for melody in ("greensleeves", "no_such_tune"):
        again = deepchorale("compose", *QUICK, f"melody={melody}", f"hydra.run.dir={run_dir}", cwd=tmp_path)
        line = one_error_line(again, "compose")
        assert f"{run_dir} already holds a run (config.yaml, results.json)" in line
        assert "harmonize:" not in again.stdout  # refused before any work
    after = {path.name: path.stat().st_mtime_ns for path in run_dir.iterdir() if path.name != ".hydra"}
    assert after == before
    assert json.loads((run_dir / "results.json").read_text())["melody"] == "ode_to_joy"


def test_a_multirun_job_clears_its_namesake_from_an_earlier_multirun(tmp_path):
    runs = tmp_path / "runs"
    make_run(runs / "a", 40.0)
    sweep = tmp_path / "sweep"
    arguments = ["select", "-m", f"runs={runs}", "guard_rails.metrics=[]", "report.enabled=true,false",
                 f"hydra.sweep.dir={sweep}"]  # fmt: skip
    assert deepchorale(*arguments, cwd=tmp_path).returncode == 0
    assert (sweep / "0" / "report.html").is_file()
    again = deepchorale(
        *arguments[:-2], "report.enabled=false,false", f"hydra.sweep.dir={sweep}", cwd=tmp_path
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"cleared an earlier run from {sweep / '0'}" in again.stderr
    assert not (sweep / "0" / "report.html").exists()  # the earlier job's report went with it


def test_a_bundle_name_too_long_is_refused_before_composing(tmp_path):
    run_dir = tmp_path / "run"
    run = deepchorale(
        "compose", *QUICK, f"bundle.fullname={'a' * 300}", f"hydra.run.dir={run_dir}", cwd=tmp_path
    )
    assert "characters; at most 200" in one_error_line(run, "compose")
    assert "harmonize:" not in run.stdout and not (run_dir / "results.json").exists()


def test_a_run_dir_that_is_a_file_is_one_line(tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("not a folder")
    for folder in (taken, taken / "run"):
        run = deepchorale("select", f"hydra.run.dir={folder}", cwd=tmp_path)
        assert f"{taken} is a file, not a folder" in one_error_line(run, "select")
    run = deepchorale("select", f"hydra.run.dir={tmp_path / ('d' * 300)}", cwd=tmp_path)
    assert "is longer than 255 bytes" in one_error_line(run, "select")


def test_a_multirun_with_a_failed_job_ends_naming_it(tmp_path):
    runs = tmp_path / "runs"
    make_run(runs / "a", 40.0)
    sweep = tmp_path / "sweep"
    run = deepchorale("select", "-m", f"runs={runs},{tmp_path / 'nowhere'}", "report.enabled=false",
                      f"hydra.sweep.dir={sweep}", cwd=tmp_path)  # fmt: skip
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr[-3000:]
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith(f"deepchorale select: error: 1 job(s) failed: 1 (runs={tmp_path / 'nowhere'}")
    assert last.endswith(f") in {sweep / '1'}: runs={str(tmp_path / 'nowhere')!r} matches no file or folder")
    assert (sweep / "0" / "leaderboard.json").is_file()  # the other job ran to its end


def test_wandb_keeps_quiet_unless_asked(tmp_path, monkeypatch, capfd):
    monkeypatch.delenv("WANDB_SILENT", raising=False)
    monkeypatch.setattr(sys, "argv", ["deepchorale select", f"hydra.run.dir={tmp_path / 'quiet'}"])
    job_opening_wandb("success")()
    assert "wandb:" not in "".join(capfd.readouterr())
    monkeypatch.setenv("WANDB_SILENT", "false")
    monkeypatch.setattr(sys, "argv", ["deepchorale select", f"hydra.run.dir={tmp_path / 'asked'}"])
    job_opening_wandb("success")()
    assert "wandb:" in "".join(capfd.readouterr())
