"""Model weights as shipped files: tensors and plain data only, loadable with `weights_only=True`.

A weights file holds the state dict, the resolved model config (enough to rebuild the module with
Hydra) and the facts of its making (command, data split, metrics). `weights_only=True` keeps pickled
code out, but the config itself names what Hydra will call: `{_target_: pathlib.Path.write_text,
...}` would write a file on load. So before anything is built, every `_target_` at every nesting
level must be one of our model classes (or the optimizer/scheduler factories they take), every
key one their constructor accepts, and every value plain data; anything else is a `WeightsError`.
Files written before a class moved name it by its old path: `MOVED` renames those paths first, so
the check and the build see only today's names, and nothing else is let through.
`deepchorale train` writes one file per run (`weights.pt`, from the best checkpoint).
"""

from __future__ import annotations

import inspect
import pickle
import zipfile
from pathlib import Path

import hydra
import lightning.pytorch as pl
import torch

from deepchorale.atomic import atomic_path

FORMAT = "deepchorale-weights/1"

# What a weights file may build: the LightningModules we ship, at the top...
MODULES = {
    "deepchorale.models.coconet.CoconetModule",
    "deepchorale.models.arcnn.ArcnnModule",
    "deepchorale.models.judge.JudgeModule",
    "deepchorale.models.gan.GanModule",
}
# ...and inside them their nets and, as partials, torch's optimizers and schedulers (by name: the
# check must not import a module a file names, as importing runs that module's code).
NETS = {
    "deepchorale.models.coconet.CoconetNet",
    "deepchorale.models.arcnn.ArcnnNet",
    "deepchorale.models.judge.JudgeNet",
    "deepchorale.models.gan_nets.MuseganGenerator",
    "deepchorale.models.gan_nets.UnetGenerator",
    "deepchorale.models.gan_nets.Critic",
}
# Old path -> new path of every class that moved since weights files were first shipped
# (evaluation/judge/weights.pt names the judge's classes by their first home).
MOVED = {
    "deepchorale.evaluation.judge.JudgeModule": "deepchorale.models.judge.JudgeModule",
    "deepchorale.evaluation.judge.JudgeNet": "deepchorale.models.judge.JudgeNet",
}
ABSTRACT = {"Optimizer", "LRScheduler", "_LRScheduler"}


def class_names(namespace, base) -> set[str]:
    return {
        f"{namespace.__name__}.{name}"
        for name, value in vars(namespace).items()
        if isinstance(value, type) and issubclass(value, base) and name not in ABSTRACT
    }


schedulers = torch.optim.lr_scheduler
FACTORIES = class_names(torch.optim, torch.optim.Optimizer) | class_names(
    schedulers, (schedulers.LRScheduler, schedulers.ReduceLROnPlateau)
)
PLAIN = (str, int, float, bool, type(None))
TARGET_KEYS = {"_target_", "_partial_"}  # the Hydra keys our configs use; _args_, _recursive_... are not


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


def renamed_targets(config):
    """A copy of `config` with every `_target_` that `MOVED` names replaced by its new path."""
    if isinstance(config, list | tuple):
        return [renamed_targets(item) for item in config]
    if isinstance(config, dict):
        renamed = {key: renamed_targets(value) for key, value in config.items()}
        target = renamed.get("_target_")
        if isinstance(target, str) and target in MOVED:
            renamed["_target_"] = MOVED[target]
        return renamed
    return config


def check_model_config(config, name: str = "weights") -> dict:
    """Refuse, before anything is built, a model config that would build anything but our models;
    return it with moved classes renamed (`renamed_targets`), ready to instantiate."""

    def refuse(where: str, why: str):
        return WeightsError(f"{name}: model config refused at {where}: {why}")

    def check(node, where: str, allowed: set[str]) -> None:
        if isinstance(node, list | tuple):
            for i, item in enumerate(node):
                check(item, f"{where}[{i}]", allowed)
        elif isinstance(node, dict):
            check_node(node, where, allowed)
        elif not isinstance(node, PLAIN):
            raise refuse(where, f"a {type(node).__name__} is not plain data")
        # Hydra resolves ${...} while building: resolvers read the environment or run registered code.
        elif isinstance(node, str) and "${" in node:
            raise refuse(where, f"interpolation {node!r}")

    def check_node(node: dict, where: str, allowed: set[str]) -> None:
        if not all(isinstance(key, str) for key in node):
            raise refuse(where, "a key that is not a string")
        target = node.get("_target_")
        special = {key for key in node if key.startswith("_") and key.endswith("_")} - TARGET_KEYS
        if special:
            raise refuse(where, f"Hydra key {sorted(special)[0]}")
        if target is None:
            if "_partial_" in node:
                raise refuse(where, "_partial_ without a _target_")
            for key, value in node.items():
                check(value, f"{where}.{key}", NETS | FACTORIES)
            return
        if not isinstance(target, str) or target not in allowed:
            raise refuse(where, f"_target_ {target!r} is not one of deepchorale's models")
        if node.get("_partial_", False) is not (target in FACTORIES):
            raise refuse(where, f"{target} must {'' if target in FACTORIES else 'not '}be a partial")
        arguments = {key: value for key, value in node.items() if key not in TARGET_KEYS}
        parameters = inspect.signature(hydra.utils.get_class(target)).parameters
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            unknown = sorted(set(arguments) - set(parameters))
            if unknown:
                raise refuse(f"{where}.{unknown[0]}", f"{target} takes no argument {unknown[0]!r}")
        for key, value in arguments.items():
            check(value, f"{where}.{key}", NETS | FACTORIES)

    if not isinstance(config, dict) or "_target_" not in config:
        raise WeightsError(f"{name}: model config refused: not a config with a _target_")
    config = renamed_targets(config)
    check_node(config, "model", MODULES)
    return config


def model_from_weights(blob: dict, name: str = "weights") -> pl.LightningModule:
    """Rebuild the module of a `read_weights` result from its config and load its state, in eval mode."""
    model = hydra.utils.instantiate(check_model_config(blob["model"], name))
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
