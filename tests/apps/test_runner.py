"""The apps' one wrapper: W&B finished on every way out of a job, with its status; failures recorded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deepchorale.apps.runner import UserInputError, hydra_app
from tests.conftest import CACHE_DIR
from tests.wandb_offline import offline_exit_code, offline_history


def job_opening_wandb(outcome: str):
    """A Hydra app (on select's config) whose job opens a real offline W&B run, logs a row, then ends
    as `outcome` says."""

    @hydra_app("select")
    def job(cfg, output_dir: Path) -> dict:
        import wandb

        wandb.init(
            mode="offline", dir=str(output_dir), project="deepchorale-tests", settings={"console": "off"}
        )
        wandb.log({"figure": 1.0})
        if outcome == "user error":
            raise UserInputError("the melody is silent")
        if outcome == "crash":
            raise RuntimeError("the sampler diverged")
        if outcome == "interrupt":
            raise KeyboardInterrupt
        return {"figure": 1.0}

    return job


def wandb_runs(folder: Path) -> list[Path]:
    return sorted((folder / "wandb").glob("offline-run-*"))


@pytest.mark.parametrize(
    ("outcome", "raised", "status"),
    [
        ("success", None, 0),
        ("user error", SystemExit, 2),
        ("crash", SystemExit, 1),
        ("interrupt", KeyboardInterrupt, 130),
    ],
)
def test_a_job_finishes_its_wandb_run_with_its_exit_status(
    outcome, raised, status, tmp_path, monkeypatch, capsys
):
    import wandb

    monkeypatch.setattr(sys, "argv", ["deepchorale select", f"hydra.run.dir={tmp_path}"])
    if raised is None:
        job_opening_wandb(outcome)()
    else:
        with pytest.raises(raised) as ended:  # Hydra turns a crash into exit status 1
            job_opening_wandb(outcome)()
        if raised is SystemExit:
            assert ended.value.code == status
    assert wandb.run is None
    (run,) = wandb_runs(tmp_path)
    assert offline_history(run)[0]["figure"] == 1.0
    assert offline_exit_code(run) == status  # W&B's mark: 0 finished, anything else failed
    # A single run leaves results.json only when it succeeded; a user error ends on one line.
    assert (tmp_path / "results.json").is_file() == (outcome == "success")
    if outcome == "user error":
        assert (
            capsys.readouterr().err.strip().splitlines()[-1]
            == "deepchorale select: error: the melody is silent"
        )


def test_each_failed_job_of_a_multirun_closes_its_run_and_records_why(tmp_path, monkeypatch, capsys):
    sweep = tmp_path / "sweep"
    monkeypatch.setattr(
        sys, "argv", ["deepchorale select", "report.tracks=1,2", f"hydra.sweep.dir={sweep}", "-m"]
    )
    with pytest.raises(SystemExit) as ended:
        job_opening_wandb("user error")()
    assert ended.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == (
        "deepchorale select: error: 2 job(s) failed: "
        f"0 (report.tracks=1) in {sweep / '0'}: the melody is silent; "
        f"1 (report.tracks=2) in {sweep / '1'}: the melody is silent"
    )
    for number, tracks in (("0", 1), ("1", 2)):
        (run,) = wandb_runs(sweep / number)  # each job its own run: none logged into the one before
        assert offline_exit_code(run) == 2 and len(offline_history(run)) == 1
        results = json.loads((sweep / number / "results.json").read_text())
        assert results == {"error": "the melody is silent", "job": f"{number} (report.tracks={tracks})"}


def test_a_multirun_is_judged_by_this_multiruns_jobs_only(tmp_path, monkeypatch, capsys):
    sweep = tmp_path / "sweep"
    (sweep / "7").mkdir(parents=True)
    stale = sweep / "7" / "results.json"  # a failed job of an earlier multirun into the same dir
    stale.write_text(json.dumps({"error": "an old failure", "job": "7 (report.tracks=9)"}))
    os.utime(stale, (0, 0))
    monkeypatch.setattr(
        sys, "argv", ["deepchorale select", "report.tracks=1,2", f"hydra.sweep.dir={sweep}", "-m"]
    )
    job_opening_wandb("success")()  # no SystemExit: every job of this multirun succeeded
    assert "failed" not in capsys.readouterr().err
    assert all(json.loads((sweep / n / "results.json").read_text()) == {"figure": 1.0} for n in ("0", "1"))


def test_a_training_that_crashes_after_wandb_started_marks_its_run_failed(tmp_path):
    broken = tmp_path / "broken.ckpt"
    broken.write_bytes(b"not a checkpoint")  # exists, so only Lightning's loading (inside fit) fails
    run_dir = tmp_path / "run"
    command = [sys.executable, "-m", "deepchorale.cli", "train", "experiment=coconet_small", "debug=fdr",
               "model.net.num_layers=2", "model.net.num_filters=8", "callbacks.generated_samples=null",
               f"ckpt_path={broken}", f"hydra.run.dir={run_dir}"]  # fmt: skip
    env = {**os.environ, "DEEPCHORALE_CACHE": str(CACHE_DIR)}
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 1, run.stderr[-3000:]
    (wandb_run,) = wandb_runs(run_dir)
    assert offline_exit_code(wandb_run) == 1
    assert not (run_dir / "results.json").exists()


def test_a_crashing_job_of_a_multirun_records_its_exception_and_the_sweep_goes_on(
    tmp_path, monkeypatch, capsys
):
    sweep = tmp_path / "sweep"
    monkeypatch.setattr(
        sys, "argv", ["deepchorale select", "report.tracks=1,2", f"hydra.sweep.dir={sweep}", "-m"]
    )
    with pytest.raises(SystemExit) as ended:
        job_opening_wandb("crash")()
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"deepchorale select: error: 2 job(s) failed: 0 (report.tracks=1) in {sweep / '0'}: RuntimeError: "
        f"the sampler diverged; 1 (report.tracks=2) in {sweep / '1'}: RuntimeError: the sampler diverged"
    )
    for number, tracks in (("0", 1), ("1", 2)):
        (run,) = wandb_runs(sweep / number)
        assert offline_exit_code(run) == 1
        results = json.loads((sweep / number / "results.json").read_text())
        assert results == {
            "error": "RuntimeError: the sampler diverged",
            "job": f"{number} (report.tracks={tracks})",
        }
        (log,) = (sweep / number).glob("*.log")  # Hydra's job log, named after the job
        assert "Traceback" in log.read_text()  # the crash's traceback, kept
