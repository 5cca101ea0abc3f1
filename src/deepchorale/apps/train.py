"""`deepchorale train`: data, model, callbacks, loggers and trainer, all from config.

Fits (from scratch, or from a `weights` file), tests the best checkpoint, exports it as
`weights.pt` (safe to load, see `models/weights.py`) and returns the optimised metric (its best
value, which is what sweeps compare). `train=false weights=<file>` only tests, e.g. shipped
weights on another split (`data=jsb`). `ckpt_path=last` with the same `hydra.run.dir` resumes a
killed run from its last epoch, continuing its W&B run too; a requeued Slurm job does so by itself,
from the checkpoint Lightning saved on the pre-emption signal when that is newer.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from deepchorale.apps.runner import UserInputError, hydra_app, instantiate_all
from deepchorale.tracking import wandb_run_id


def scalar_metrics(metrics: dict) -> dict[str, float]:
    import torch

    return {name: float(value) for name, value in metrics.items() if torch.as_tensor(value).numel() == 1}


def resume_checkpoint(cfg: DictConfig, output_dir: Path) -> str | None:
    """`ckpt_path` as given; on a Slurm job's requeue (preemption, timeout) the newer of its last
    epoch's checkpoint and the one Lightning saved on the pre-emption signal (`hpc_ckpt_<n>.ckpt` in
    the run dir), so a requeue loses at most the steps since the signal."""
    if cfg.ckpt_path:
        return cfg.ckpt_path
    if int(os.environ.get("SLURM_RESTART_COUNT", "0")) == 0:
        return None
    candidates = [output_dir / "checkpoints" / "last.ckpt", *output_dir.glob("hpc_ckpt_*.ckpt")]
    saved = [path for path in candidates if path.is_file()]
    return str(max(saved, key=lambda path: path.stat().st_mtime_ns)) if saved else None


def resume_logger_config(cfg: DictConfig, output_dir: Path) -> DictConfig | None:
    """The logger config, pointed at the run being resumed so W&B continues it instead of forking."""
    loggers = cfg.get("logger")
    if not loggers or not resume_checkpoint(cfg, output_dir) or "wandb" not in loggers or loggers.wandb.id:
        return loggers
    run_id = wandb_run_id(output_dir)
    if run_id is None:
        return loggers
    loggers = loggers.copy()
    OmegaConf.set_struct(loggers, False)
    loggers.wandb.id = run_id
    loggers.wandb.resume = "allow"
    return loggers


def resumes(cfg: DictConfig, output_dir: Path) -> bool:
    """A run that continues the one in its folder (`ckpt_path`, a Slurm requeue), which may reuse it."""
    return resume_checkpoint(cfg, output_dir) is not None


@hydra_app("train", resumes=resumes)
def main(cfg: DictConfig, output_dir: Path) -> dict:
    import lightning.pytorch as pl  # the work's modules: see `deepchorale.apps`

    from deepchorale.data.datamodule import ChoraleDataModule
    from deepchorale.evaluation.reference import corpus_registers, registers_record
    from deepchorale.models.weights import (
        WeightsError,
        load_training_module,
        read_weights,
        save_weights,
        weights_from_checkpoint,
    )

    if cfg.ckpt_path and cfg.ckpt_path != "last" and not Path(cfg.ckpt_path).is_file():
        raise UserInputError(f"checkpoint {cfg.ckpt_path} not found")
    model_config = OmegaConf.to_container(cfg.model, resolve=True)
    if cfg.weights:  # first: a bad file is one line before anything else is said or built
        try:
            model = load_training_module(cfg.weights).train()
            model_config = read_weights(cfg.weights)["model"]
        except WeightsError as error:
            raise UserInputError(str(error)) from error
    pl.seed_everything(cfg.seed, workers=True)
    # Plain lists and dicts, not OmegaConf containers: modules save their init arguments into
    # checkpoints, which must load with weights_only=True.
    datamodule: pl.LightningDataModule = hydra.utils.instantiate(cfg.data, _convert_="all")
    if not cfg.weights:  # after the data, as it always was: the same seed draws the same net
        model = hydra.utils.instantiate(cfg.model, _convert_="all")
    callbacks = instantiate_all(cfg.get("callbacks"))
    loggers = instantiate_all(resume_logger_config(cfg, output_dir))
    trainer: pl.Trainer = hydra.utils.instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False)
    for logger in loggers:
        logger.log_hyperparams(OmegaConf.to_container(cfg, resolve=True))

    start = time.perf_counter()
    if cfg.train:
        trainer.fit(model, datamodule=datamodule, ckpt_path=resume_checkpoint(cfg, output_dir))
    fit_metrics = scalar_metrics(trainer.callback_metrics)
    checkpoint = trainer.checkpoint_callback
    best_path = checkpoint.best_model_path if checkpoint else ""
    if checkpoint and checkpoint.monitor is None and not best_path:
        # "Keep the latest" (the GAN's recipe): Lightning names no best while its global step has not
        # moved (a 2-batch GAN epoch updates only the critic, which it does not count).
        best_path = checkpoint.last_model_path
    test_metrics = {}
    if cfg.test:
        trainer.test(model, datamodule=datamodule, ckpt_path=best_path or None)
        test_metrics = {
            k: v for k, v in scalar_metrics(trainer.callback_metrics).items() if k.startswith("test/")
        }

    metric = cfg.optimized_metric
    best_score = checkpoint.best_model_score if checkpoint else None
    value = float(best_score) if best_score is not None else fit_metrics.get(metric)
    weights = ""
    if best_path:
        weights = str(output_dir / "weights.pt")
        metadata = {
            "metrics": fit_metrics,
            "test": test_metrics,
            "data": OmegaConf.to_container(cfg.data, resolve=True),
        }
        if isinstance(datamodule, ChoraleDataModule):  # where its voices sing, for compose (`registers`)
            metadata["registers"] = registers_record(
                corpus_registers(datamodule.chorales("train"), "train split"),
                f"the train split of {cfg.data.get('path') or cfg.data.get('composer') or cfg.data._target_}",
            )
        save_weights(weights_from_checkpoint(best_path), model_config, weights, metadata)
    return {
        "optimized_metric": metric,
        metric: value,
        "metrics": fit_metrics,
        "test": test_metrics,
        "best_checkpoint": best_path,
        "weights": weights,
        "last_checkpoint": checkpoint.last_model_path if checkpoint else "",
        "epochs": trainer.current_epoch,
        "global_step": trainer.global_step,
        "seconds": time.perf_counter() - start,
        "precision": str(trainer.precision),
        "parameters": sum(p.numel() for p in model.parameters()),
        "seed": cfg.seed,
    }
