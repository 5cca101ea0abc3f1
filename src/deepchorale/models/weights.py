"""Model weights as shipped files: tensors and plain data only, loadable with `weights_only=True`.

A weights file holds the state dict, the resolved model config (enough to rebuild the module with
Hydra) and the facts of its making (command, data split, metrics). Nothing in it is executable, so
loading one from an untrusted source cannot run code. `deepchorale train` writes one per run
(`weights.pt`, from the best checkpoint).
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import hydra
import lightning.pytorch as pl
import torch

from deepchorale.atomic import atomic_path

FORMAT = "deepchorale-weights/1"


class WeightsError(ValueError):
    """The file is missing, corrupt, or not deepchorale weights."""


def save_weights(
    state_dict: dict, model_config: dict, path: str | Path, metadata: dict | None = None
) -> Path:
    blob = {"format": FORMAT, "model": model_config, "state_dict": state_dict, "metadata": metadata or {}}
    with atomic_path(path) as temporary:
        torch.save(blob, temporary)
    return Path(path)


def read_weights(path: str | Path, map_location: str | torch.device = "cpu") -> dict:
    """The weights file's contents, checked; every failure is one `WeightsError` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file {path} not found")
    try:
        blob = torch.load(path, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, OSError) as error:
        raise WeightsError(f"{path} is not a readable weights file ({str(error).splitlines()[0]})") from error
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise WeightsError(f"{path} is not a deepchorale weights file (expected format {FORMAT!r})")
    return blob


def model_from_weights(blob: dict, name: str = "weights") -> pl.LightningModule:
    """Rebuild the module of a `read_weights` result from its config and load its state, in eval mode."""
    model = hydra.utils.instantiate(blob["model"])
    try:
        model.load_state_dict(blob["state_dict"])
    except RuntimeError as error:
        reason = str(error).splitlines()[0]
        raise WeightsError(f"{name} does not fit its own model config ({reason})") from error
    return model.eval()


def load_model(path: str | Path, map_location: str | torch.device = "cpu") -> pl.LightningModule:
    return model_from_weights(read_weights(path, map_location), str(path))


def weights_from_checkpoint(checkpoint: str | Path) -> dict:
    """The state dict of a Lightning checkpoint, read with `weights_only=True`."""
    try:
        return torch.load(checkpoint, map_location="cpu", weights_only=True)["state_dict"]
    except (pickle.UnpicklingError, RuntimeError, EOFError, KeyError, zipfile.BadZipFile, OSError) as error:
        raise WeightsError(f"{checkpoint} is not a readable Lightning checkpoint ({error})") from error
