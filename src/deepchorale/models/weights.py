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

A file names the Lightning module that trained it; inference never builds that module (nor imports
Lightning): `load_model` builds the plain model of `models/` or `judge/` that the module wraps
(`INFERENCE`) and loads the part of the state it holds. `load_training_module` rebuilds the module
itself, for `deepchorale train train=false` to test shipped weights.
"""

from __future__ import annotations

import inspect
import pickle
import zipfile
from pathlib import Path

import hydra
import torch
from torch import nn

from deepchorale.atomic import atomic_path

FORMAT = "deepchorale-weights/1"

# What a weights file may name: the LightningModules we ship, at the top...
MODULES = {
    "deepchorale.training.coconet.CoconetModule",
    "deepchorale.training.arcnn.ArcnnModule",
    "deepchorale.training.judge.JudgeModule",
    "deepchorale.training.gan.GanModule",
    "deepchorale.training.articulation.ArticulationModule",
}
# ...what inference builds from each instead, by kind: the plain model taking the module's
# arguments it names (`""`), or the module's net alone (`"net"`: a judge is its network)...
INFERENCE = {
    "coconet": ("deepchorale.training.coconet.CoconetModule", "deepchorale.models.coconet.Coconet", ""),
    "arcnn": ("deepchorale.training.arcnn.ArcnnModule", "deepchorale.models.arcnn.Arcnn", ""),
    "gan": ("deepchorale.training.gan.GanModule", "deepchorale.models.gan.Gan", ""),
    "judge": ("deepchorale.training.judge.JudgeModule", None, "net"),
    "articulation": (
        "deepchorale.training.articulation.ArticulationModule",
        "deepchorale.models.articulation.Articulator",
        "",
    ),
}
# ...and inside them their nets and, as partials, torch's optimizers and schedulers (by name: the
# check must not import a module a file names, as importing runs that module's code).
NETS = {
    "deepchorale.models.coconet.CoconetNet",
    "deepchorale.models.arcnn.ArcnnNet",
    "deepchorale.judge.net.JudgeNet",
    "deepchorale.judge.register_net.RegisterJudgeNet",
    "deepchorale.models.articulation.ArticulationNet",
    "deepchorale.models.gan_nets.MuseganGenerator",
    "deepchorale.models.gan_nets.UnetGenerator",
    "deepchorale.models.gan_nets.Critic",
}
# Old path -> new path of every class that moved since weights files were first shipped (the
# critic's file names the judge's classes by their first home; the Lightning modules left `models/`).
MOVED = {
    "deepchorale.evaluation.judge.JudgeModule": "deepchorale.training.judge.JudgeModule",
    "deepchorale.evaluation.judge.JudgeNet": "deepchorale.judge.net.JudgeNet",
    "deepchorale.models.judge.JudgeModule": "deepchorale.training.judge.JudgeModule",
    "deepchorale.models.judge.JudgeNet": "deepchorale.judge.net.JudgeNet",
    "deepchorale.models.coconet.CoconetModule": "deepchorale.training.coconet.CoconetModule",
    "deepchorale.models.arcnn.ArcnnModule": "deepchorale.training.arcnn.ArcnnModule",
    "deepchorale.models.gan.GanModule": "deepchorale.training.gan.GanModule",
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


def check_model_config(config, name: str = "weights", module_arguments: bool = True) -> dict:
    """Refuse, before anything is built, a model config that would build anything but our models;
    return it with moved classes renamed (`renamed_targets`), ready to instantiate.

    `module_arguments=False` leaves the top-level module's argument names unchecked: checking them
    imports the module, and with it Lightning, which inference never builds (it instantiates only
    the plain model's arguments, each checked as everywhere else)."""

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

    def check_node(node: dict, where: str, allowed: set[str], check_arguments: bool = True) -> None:
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
        if check_arguments:
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
    check_node(config, "model", MODULES, module_arguments)
    return config


def model_kind(config: dict) -> str:
    """The `INFERENCE` kind (coconet, arcnn, gan, judge, articulation) of a checked model config."""
    return next(kind for kind, (module, _, _) in INFERENCE.items() if module == config["_target_"])


def model_from_weights(blob: dict, name: str = "weights", kind: str | None = None) -> nn.Module:
    """The plain model of a `read_weights` result, built from its config with its state loaded, in
    eval mode; with `kind`, a file holding another kind of model is refused first."""
    config = check_model_config(blob["model"], name, module_arguments=False)
    found = model_kind(config)
    if kind is not None and found != kind:
        raise WeightsError(f"{name} holds {found} weights, not {kind}")
    _, target, part = INFERENCE[found]
    if part:
        model, prefix = hydra.utils.instantiate(config[part]), f"{part}."
    else:
        parameters = inspect.signature(hydra.utils.get_class(target)).parameters
        arguments = {key: value for key, value in config.items() if key in parameters}
        model, prefix = hydra.utils.instantiate({"_target_": target, **arguments}), ""
    state = blob["state_dict"]
    if not isinstance(state, dict):
        raise WeightsError(f"{name} has no state dict")
    own = model.state_dict().keys()
    # The module's other parts (a GAN's critic) are training's alone.
    state = {key[len(prefix) :]: value for key, value in state.items() if key.startswith(prefix)}
    try:
        model.load_state_dict({key: value for key, value in state.items() if key in own})
    except RuntimeError as error:
        reason = str(error).splitlines()[0]
        raise WeightsError(f"{name} does not fit its own model config ({reason})") from error
    return model.eval()


def load_model(
    path: str | Path, map_location: str | torch.device = "cpu", kind: str | None = None
) -> nn.Module:
    """The plain model a weights file holds (`models.coconet.Coconet`, `models.arcnn.Arcnn`,
    `models.gan.Gan` or a judge's net), without Lightning."""
    return model_from_weights(read_weights(path, map_location), str(path), kind)


def load_training_module(path: str | Path, map_location: str | torch.device = "cpu"):
    """The Lightning module that trained a weights file, rebuilt with its state, in eval mode."""
    blob = read_weights(path, map_location)
    module = hydra.utils.instantiate(check_model_config(blob["model"], str(path)))
    try:
        module.load_state_dict(blob["state_dict"])
    except RuntimeError as error:
        reason = str(error).splitlines()[0]
        raise WeightsError(f"{path} does not fit its own model config ({reason})") from error
    return module.eval()


def weights_from_checkpoint(checkpoint: str | Path) -> dict:
    """The state dict of a Lightning checkpoint, read with `weights_only=True`."""
    try:
        return torch.load(checkpoint, map_location="cpu", weights_only=True)["state_dict"]
    except (pickle.UnpicklingError, RuntimeError, EOFError, KeyError, zipfile.BadZipFile, OSError) as error:
        raise WeightsError(f"{checkpoint} is not a readable Lightning checkpoint ({error})") from error
