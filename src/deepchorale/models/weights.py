"""Model weights as shipped files: tensors and plain data only, loadable with `weights_only=True`.

A weights file holds the state dict, the resolved model config (enough to rebuild the module with
Hydra) and the facts of its making (command, data split, metrics). `weights_only=True` keeps pickled
code out, but the config itself names what Hydra will call: `{_target_: pathlib.Path.write_text,
...}` would write a file on load. So before anything is built, every `_target_` at every nesting
level must be one of our model classes (or the optimizer/scheduler factories they take), every
key one their constructor accepts, and every value plain data; anything else is a `WeightsError`.
Files written before a class moved name it by its old path: `MOVED` renames those paths first, so
the check and the build see only today's names, and nothing else is let through.

A file is also refused, before anything is allocated, when its parts are not what they must be (a
state dict of tensors, a config nested no deeper than ours, no `???` left in it) and when its config
would build a network larger than its state dict: a 1 MB file must not make the loader allocate
gigabytes. Integer settings of a net are bounded by the state dict's own sizes, then the model is
built on the `meta` device (shapes, no memory) and each tensor's shape compared with the file's.
`deepchorale train` writes one file per run (`weights.pt`, from the best checkpoint).

A file names the Lightning module that trained it; inference never builds that module (nor imports
Lightning): `load_model` builds the plain model of `models/` or `judge/` that the module wraps
(`INFERENCE`) and loads the part of the state it holds. `load_training_module` rebuilds the module
itself, for `deepchorale train train=false` to test shipped weights.
"""

from __future__ import annotations

import functools
import inspect
import pickle
import zipfile
from pathlib import Path

import hydra
import torch
from hydra.errors import InstantiationException
from torch import nn

from deepchorale.atomic import atomic_path
from deepchorale.models.protocol import packaged_sampler

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
MISSING = "???"  # OmegaConf's mandatory value: building would fail on it, far from the file
MAX_CONFIG_DEPTH = 16  # our configs nest 5 deep; checking a deeper one would exhaust the stack
# No net of ours takes an integer above this (pitch and step counts included) unless its state dict
# has a tensor dimension, or as many tensors, that large.
SIZE_FLOOR = 1024
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
    except (
        Exception
    ) as error:  # torch.load raises whatever a file's bytes trip over (an empty one: IndexError)
        reason = (
            f"{type(error).__name__}: {first_line(error)}" if str(error).strip() else type(error).__name__
        )
        raise WeightsError(f"{path} is not a readable weights file ({reason})") from error
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise WeightsError(f"{path} is not a deepchorale weights file (expected format {FORMAT!r})")
    if not isinstance(blob.get("model"), dict):
        raise WeightsError(f"{path} has no model config")
    state = blob.get("state_dict")
    if not isinstance(state, dict) or not all(
        isinstance(key, str) and isinstance(value, torch.Tensor) for key, value in state.items()
    ):
        raise WeightsError(f"{path} has no state dict (names to tensors)")
    if nesting_depth(blob["model"]) > MAX_CONFIG_DEPTH:
        raise WeightsError(f"{path}: model config nested deeper than {MAX_CONFIG_DEPTH} levels")
    return blob


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def nesting_depth(config) -> int:
    """How deep lists and dicts nest in `config`, counted without recursion (a crafted file may nest
    thousands of levels)."""
    deepest, stack = 0, [(config, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack += [(value, depth + 1) for value in node.values()]
        elif isinstance(node, list | tuple):
            stack += [(value, depth + 1) for value in node]
    return deepest


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
        elif node == MISSING:
            raise refuse(where, f"a missing value ({MISSING!r})")

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


def kind_of(value) -> type | None:
    """What a setting holds, numbers alike (a bool first: it is an int too); None for null."""
    return next((kind for kind in (bool, int | float, str, dict, list) if isinstance(value, kind)), None)


def check_sampler(config: dict, name: str, kind: str) -> None:
    """A model's stored sampler settings hold the keys of the shipped ones (`conf/sampler/`), each
    of the same kind (or null): a text where a number belongs fails far from the file otherwise.
    Below the top level a key may be missing (files written before a rule existed go without it),
    and at the top level too for the GAN, whose stored knobs are laid over the shipped ones."""
    sampler = config.get("sampler")
    if sampler is None or kind not in ("coconet", "gan"):
        return

    def check(settings, shipped: dict, where: str) -> None:
        if not isinstance(settings, dict):
            raise WeightsError(f"{name}: model config's {where} is a {type(settings).__name__}, not settings")
        complete = where == "sampler" and kind != "gan"
        missing = sorted(set(shipped) - set(settings)) if complete else []
        unknown = sorted(set(settings) - set(shipped))
        if missing or unknown:
            wrong = f"lacks {', '.join(missing)}" if missing else f"has unknown {', '.join(unknown)}"
            raise WeightsError(f"{name}: model config's {where} {wrong} (expected {', '.join(shipped)})")
        for key, value in settings.items():
            expected = shipped[key]
            if value is None or expected is None:
                continue
            if isinstance(expected, dict):
                check(value, expected, f"{where}.{key}")
            elif kind_of(value) != kind_of(expected):
                raise WeightsError(
                    f"{name}: model config's {where}.{key} is {value!r}, not a {type(expected).__name__}"
                )

    check(sampler, packaged_sampler(kind), "sampler")


def check_sizes(config: dict, state: dict[str, torch.Tensor], name: str) -> None:
    """Refuse a net whose integer settings exceed every size its state dict has (`SIZE_FLOOR`)."""
    largest = max((max(tensor.shape, default=0) for tensor in state.values()), default=0)
    bound = max(SIZE_FLOOR, largest, len(state))

    def check(node, where: str, in_net: bool) -> None:
        if isinstance(node, dict):
            in_net = in_net or node.get("_target_") in NETS
            for key, value in node.items():
                check(value, f"{where}.{key}", in_net)
        elif isinstance(node, list | tuple):
            for i, value in enumerate(node):
                check(value, f"{where}[{i}]", in_net)
        elif in_net and isinstance(node, int) and not isinstance(node, bool) and abs(node) > bound:
            raise WeightsError(
                f"{name}: model config refused at {where}: {node} is larger than anything its "
                f"state dict holds (at most {bound})"
            )

    check(config, "model", False)


def built(build, state: dict[str, torch.Tensor], name: str) -> nn.Module:
    """`build()`'s model, once its parameters' shapes, built on the meta device (no memory), are
    found to match `state`'s; any failure to build is the file's, in one line."""
    try:
        with torch.device("meta"):
            shapes = {key: tuple(value.shape) for key, value in build().state_dict().items()}
        for key, shape in shapes.items():
            if key not in state:
                raise WeightsError(f"{name} does not fit its own model config (no {key} in its state dict)")
            if tuple(state[key].shape) != shape:
                raise WeightsError(
                    f"{name} does not fit its own model config ({key}: config {shape}, "
                    f"state dict {tuple(state[key].shape)})"
                )
        return build()
    except WeightsError:
        raise
    except Exception as error:  # a constructor refusing a value, whatever its type: the file is wrong
        cause = error.__cause__ if isinstance(error, InstantiationException) and error.__cause__ else error
        raise WeightsError(f"{name}: model cannot be built from its config ({first_line(cause)})") from error


def model_from_weights(blob: dict, name: str = "weights", kind: str | None = None) -> nn.Module:
    """The plain model of a `read_weights` result, built from its config with its state loaded, in
    eval mode; with `kind`, a file holding another kind of model is refused first."""
    config = check_model_config(blob["model"], name, module_arguments=False)
    found = model_kind(config)
    if kind is not None and found != kind:
        raise WeightsError(f"{name} holds {found} weights, not {kind}")
    check_sampler(config, name, found)
    check_sizes(config, blob["state_dict"], name)
    _, target, part = INFERENCE[found]
    if part:
        build, prefix = functools.partial(hydra.utils.instantiate, config[part]), f"{part}."
    else:
        parameters = inspect.signature(hydra.utils.get_class(target)).parameters
        arguments = {key: value for key, value in config.items() if key in parameters}
        build, prefix = functools.partial(hydra.utils.instantiate, {"_target_": target, **arguments}), ""
    # The module's other parts (a GAN's critic) are training's alone.
    state = {key[len(prefix) :]: value for key, value in blob["state_dict"].items() if key.startswith(prefix)}
    model = built(build, state, name)
    own = model.state_dict().keys()
    model.load_state_dict({key: value for key, value in state.items() if key in own})
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
    config = check_model_config(blob["model"], str(path))
    check_sampler(config, str(path), model_kind(config))
    check_sizes(config, blob["state_dict"], str(path))
    module = built(functools.partial(hydra.utils.instantiate, config), blob["state_dict"], str(path))
    try:
        module.load_state_dict(blob["state_dict"])
    except RuntimeError as error:
        raise WeightsError(f"{path} does not fit its own model config ({first_line(error)})") from error
    return module.eval()


def weights_from_checkpoint(checkpoint: str | Path) -> dict:
    """The state dict of a Lightning checkpoint, read with `weights_only=True`."""
    try:
        return torch.load(checkpoint, map_location="cpu", weights_only=True)["state_dict"]
    except (pickle.UnpicklingError, RuntimeError, EOFError, KeyError, zipfile.BadZipFile, OSError) as error:
        raise WeightsError(f"{checkpoint} is not a readable Lightning checkpoint ({error})") from error
