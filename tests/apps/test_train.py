"""`deepchorale train`: every experiment composes and runs, results/W&B/weights, resume after a kill."""

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import ClassVar

import hydra
import lightning.pytorch as pl
import pytest
import torch
from hydra import compose, initialize_config_module
from hydra.experimental.callback import Callback
from lightning.pytorch.demos.boring_classes import BoringModel
from omegaconf import OmegaConf

import deepchorale.resolvers  # noqa: F401  (the configs use ${best_precision:})
from deepchorale.apps.train import resume_checkpoint
from deepchorale.cli import main as cli
from deepchorale.models.weights import load_model, load_training_module
from tests.conftest import CACHE_DIR, REPO
from tests.wandb_offline import offline_exit_code, offline_history

EXPERIMENTS = sorted(p.stem for p in (REPO / "conf" / "experiment").glob("*.yaml"))
TINY_COCONET = ["model.net.num_layers=4", "model.net.num_filters=16"]
TINY_GAN = ["model.generator.base_filters=4", "model.critic.base_filters=4"]
# A GAN batch is one critic step, and its first generator step (global_step 1) comes after five
# (two with gan_supervised's critic_steps).
FIVE_BATCHES = ["trainer.fast_dev_run=5"]
TWO_BATCHES = ["trainer.fast_dev_run=2"]
SHRINK = {  # the GPU-sized experiments still compose and step, on fewer, shorter windows
    "coconet_paper": [
        "data.batch_size=2",
        "data.crop_length=16",
        "data.num_workers=0",
        "data.pin_memory=false",
    ],
    "arcnn_deepcomposer": [
        "data.batch_size=2",
        "data.crop_length=32",
        "data.num_workers=0",
        "data.pin_memory=false",
    ],
    "gan_small": FIVE_BATCHES,
    "gan_supervised": TWO_BATCHES,
    "gan_paper": [*FIVE_BATCHES, "data.batch_size=2", "data.num_workers=0", "data.pin_memory=false"],
}


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_composes_and_runs_a_few_steps(experiment, tmp_path):
    overrides = [f"experiment={experiment}", "debug=fdr", "logger=none", "callbacks=none",
                 f"paths.cache_dir={CACHE_DIR}", *SHRINK.get(experiment, [])]  # fmt: skip
    with initialize_config_module("deepchorale.conf", version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    pl.seed_everything(cfg.seed)
    model = hydra.utils.instantiate(cfg.model)
    datamodule = hydra.utils.instantiate(cfg.data)
    trainer = hydra.utils.instantiate(cfg.trainer, default_root_dir=tmp_path, logger=False)
    trainer.fit(model, datamodule=datamodule)
    assert trainer.global_step == 1
    assert torch.isfinite(trainer.callback_metrics["train/loss"])


def train(*overrides: str, cwd: Path, wait: bool = True):
    env = {**os.environ, "DEEPCHORALE_CACHE": str(CACHE_DIR)}
    command = [sys.executable, "-m", "deepchorale.cli", "train", *overrides]
    if not wait:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_train_writes_results_wandb_run_samples_and_weights(tmp_path):
    run_dir = tmp_path / "run"
    run = train(
        "experiment=coconet_small", "debug=default", *TINY_COCONET, f"hydra.run.dir={run_dir}", cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((run_dir / "results.json").read_text())
    assert results["optimized_metric"] == "val/loss" and results["val/loss"] > 0
    assert {"test/nll_frame", "test/nll_note"} <= set(results["test"])
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert "${" not in (run_dir / "config.yaml").read_text()
    # The offline W&B run holds the metrics and the samples table with its media.
    (wandb_run,) = (run_dir / "wandb").glob("offline-run-*")
    assert offline_exit_code(wandb_run) == 0  # finished, not failed
    rows = offline_history(wandb_run)
    assert any("val/loss" in row for row in rows) and any("samples/_type" in row for row in rows)
    assert any("samples/judge_score" in row and "samples/parallel_fifths" in row for row in rows)
    assert list((wandb_run / "files" / "media" / "table").glob("samples_*.table.json"))
    assert list((wandb_run / "files" / "media" / "images").rglob("*.png"))
    assert list((wandb_run / "files" / "media" / "audio").rglob("*.wav"))
    assert len(list((run_dir / "samples" / "epoch_000").glob("*.mid"))) == 2
    model = load_model(results["weights"])
    assert sum(p.numel() for p in model.parameters()) == results["parameters"]


def test_gan_small_trains_an_epoch_and_writes_results_and_loadable_weights(tmp_path):
    run_dir = tmp_path / "run"
    shrunk = ["debug=default", *TINY_GAN, "trainer.limit_train_batches=10", "logger=none",
              "callbacks.generated_samples.count=2"]  # fmt: skip
    run = train(
        "experiment=gan_small", "trainer.max_epochs=1", *shrunk, f"hydra.run.dir={run_dir}", cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((run_dir / "results.json").read_text())
    assert results["optimized_metric"] == "samples/judge_score" and 0 <= results["samples/judge_score"] <= 100
    assert results["global_step"] == 2  # generator steps: 10 batches of critic steps, 5 per generator step
    assert {"samples/qualified_note_rate/all", "samples/tonal_distance/melody_accompaniment"} <= set(
        results["metrics"]
    )
    assert "test/loss" in results["test"]
    trained = load_training_module(results["weights"])  # the generator and its critic
    assert sum(p.numel() for p in trained.parameters()) == results["parameters"]
    generator = load_model(results["weights"])  # inference holds the generator alone
    assert sum(p.numel() for p in generator.parameters()) == sum(
        p.numel() for p in trained.generator.parameters()
    )


@pytest.mark.slow
def test_csv_and_no_logger(tmp_path):
    quick = ["experiment=coconet_small", "debug=default", *TINY_COCONET, "callbacks.generated_samples=null"]
    for logger in ("csv", "none"):
        run = train(*quick, f"logger={logger}", f"hydra.run.dir={tmp_path / logger}", cwd=tmp_path)
        assert run.returncode == 0, run.stderr[-3000:]
        assert not (tmp_path / logger / "wandb").exists()
    (metrics,) = (tmp_path / "csv").rglob("metrics.csv")
    assert "val/loss" in metrics.read_text().splitlines()[0]


def checkpoint_epoch(path: Path) -> int:
    return torch.load(path, map_location="cpu", weights_only=True)["epoch"]


@pytest.mark.slow
def test_a_killed_run_resumes_from_its_last_epoch(tmp_path):
    run_dir = tmp_path / "run"
    last = run_dir / "checkpoints" / "last.ckpt"
    settings = ["experiment=coconet_small", "debug=default", *TINY_COCONET, f"hydra.run.dir={run_dir}",
                "callbacks.generated_samples=null", "callbacks.early_stopping=null"]  # fmt: skip
    # The first run has no reachable end, so the kill always lands mid-training however fast epochs are.
    process = train(*settings, "trainer.max_epochs=100000", cwd=tmp_path, wait=False)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not (last.is_file() and checkpoint_epoch(last) >= 1):
        assert process.poll() is None, process.stderr.read().decode()[-3000:]
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = checkpoint_epoch(last)  # Lightning writes checkpoints atomically: a kill cannot tear one
    assert killed_at >= 1 and not (run_dir / "results.json").exists()

    epochs = killed_at + 3
    resumed = train(*settings, f"trainer.max_epochs={epochs}", "ckpt_path=last", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    results = json.loads((run_dir / "results.json").read_text())
    assert results["epochs"] == epochs
    assert results["global_step"] == epochs * 2  # limit_train_batches=2: no epoch ran twice
    logs = (run_dir / "train.log").read_text() + resumed.stdout + resumed.stderr
    assert "Restoring states from the checkpoint" in logs
    runs = list((run_dir / "wandb").glob("offline-run-*"))
    assert len({run.name.rsplit("-", 1)[1] for run in runs}) == 1  # the same W&B run, continued


@pytest.mark.slow
def test_shipped_style_weights_can_be_tested_alone(tmp_path):
    first = tmp_path / "first"
    quick = [
        "experiment=coconet_small",
        "debug=default",
        *TINY_COCONET,
        "logger=none",
        "callbacks.generated_samples=null",
    ]
    assert train(*quick, f"hydra.run.dir={first}", cwd=tmp_path).returncode == 0
    weights = json.loads((first / "results.json").read_text())["weights"]
    tested = train(
        *quick, "train=false", f"weights={weights}", f"hydra.run.dir={tmp_path / 'test'}", cwd=tmp_path
    )
    assert tested.returncode == 0, tested.stderr[-3000:]
    assert "test/nll_frame" in json.loads((tmp_path / "test" / "results.json").read_text())["test"]
    missing = train(
        *quick, "train=false", "weights=absent.pt", f"hydra.run.dir={tmp_path / 'bad'}", cwd=tmp_path
    )
    assert missing.returncode == 2
    assert (
        missing.stderr.strip().splitlines()[-1]
        == "deepchorale train: error: weights file absent.pt not found"
    )


class StopAfterSignalCheckpoint(pl.Callback):
    """Saves the checkpoint Lightning's Slurm signal handler saves (`hpc_ckpt_<n>.ckpt` in the root
    dir) at `step`, then ends the job as Slurm does after the signal: abruptly."""

    def __init__(self, step: int):
        self.step = step

    def on_train_batch_end(self, trainer, *args):
        if trainer.global_step == self.step:
            trainer.save_checkpoint(trainer._checkpoint_connector.hpc_save_path(trainer.default_root_dir))
            raise SystemExit("preempted")


class FirstStep(pl.Callback):
    def on_train_start(self, trainer, *args):
        self.step = trainer.global_step


def boring_trainer(run_dir: Path, max_epochs: int, *callbacks: pl.Callback) -> pl.Trainer:
    last = pl.callbacks.ModelCheckpoint(dirpath=run_dir / "checkpoints", save_last=True, save_top_k=0)
    return pl.Trainer(default_root_dir=run_dir, max_epochs=max_epochs, limit_train_batches=3,
                      limit_val_batches=0, callbacks=[last, *callbacks], logger=False,
                      enable_progress_bar=False, enable_model_summary=False)  # fmt: skip


def test_a_requeued_job_resumes_from_the_newer_of_signal_and_last_checkpoints(tmp_path, monkeypatch):
    run_dir, cfg = tmp_path / "run", OmegaConf.create({"ckpt_path": None})
    boring_trainer(run_dir, 2).fit(BoringModel())  # two epochs: last.ckpt at step 6
    assert resume_checkpoint(cfg, run_dir) is None  # not a requeue: a fresh start
    monkeypatch.setenv("SLURM_RESTART_COUNT", "1")
    assert resume_checkpoint(cfg, run_dir) == str(run_dir / "checkpoints" / "last.ckpt")

    with pytest.raises(SystemExit):  # pre-empted at step 8, mid-epoch, after the signal's checkpoint
        boring_trainer(run_dir, 3, StopAfterSignalCheckpoint(8)).fit(BoringModel(), ckpt_path="last")
    chosen = resume_checkpoint(cfg, run_dir)
    assert chosen == str(run_dir / "hpc_ckpt_1.ckpt")
    first = FirstStep()
    boring_trainer(run_dir, 3, first).fit(BoringModel(), ckpt_path=chosen)
    assert first.step == 8  # only the steps after the signal would be lost

    # The requeued run has since ended an epoch: its last.ckpt (step 9) is now the newer one.
    assert resume_checkpoint(cfg, run_dir) == str(run_dir / "checkpoints" / "last.ckpt")
    assert torch.load(resume_checkpoint(cfg, run_dir), weights_only=False)["global_step"] == 9


class RecordReturns(Callback):
    """A Hydra callback: what each job returned to the sweeper."""

    returns: ClassVar[list] = []

    def on_job_end(self, config, job_return, **kwargs):
        RecordReturns.returns.append(job_return.return_value)


def test_failed_jobs_return_nan_to_the_sweeper_and_the_sweep_names_them(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", sys.argv)  # the CLI rewrites sys.argv for Hydra: put it back after
    record = "+hydra.callbacks.record._target_=tests.apps.test_train.RecordReturns"
    with pytest.raises(SystemExit) as exited:
        cli(["train", "ckpt_path=a.ckpt,b.ckpt", f"hydra.sweep.dir={tmp_path}", record, "-m"])
    assert exited.value.code == 2
    assert len(RecordReturns.returns) == 2 and all(math.isnan(value) for value in RecordReturns.returns)
    lines = capsys.readouterr().err.strip().splitlines()
    # Each failed job with its folder and reason.
    assert lines[-1] == (
        f"deepchorale train: error: 2 job(s) failed: 0 (ckpt_path=a.ckpt) in {tmp_path / '0'}: checkpoint "
        f"a.ckpt not found; 1 (ckpt_path=b.ckpt) in {tmp_path / '1'}: checkpoint b.ckpt not found"
    )
    assert json.loads((tmp_path / "1" / "results.json").read_text())["error"] == "checkpoint b.ckpt not found"
