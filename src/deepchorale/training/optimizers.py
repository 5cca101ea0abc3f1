"""Optimizer and scheduler from Hydra partials, the same way for every LightningModule."""

from __future__ import annotations

from collections.abc import Callable, Iterable


def optimizer_config(parameters: Iterable, optimizer: Callable, scheduler: Callable | None = None) -> dict:
    """Lightning's `configure_optimizers` answer. The scheduler steps per epoch; `monitor` is what
    ReduceLROnPlateau watches (every other scheduler ignores it)."""
    built = optimizer(params=parameters)
    if scheduler is None:
        return {"optimizer": built}
    return {
        "optimizer": built,
        "lr_scheduler": {"scheduler": scheduler(optimizer=built), "monitor": "val/loss", "interval": "epoch"},
    }
