"""Search spaces from config, and a trial's parameters as Hydra overrides of the task it runs.

A space maps config keys of the task to distributions, as in `conf/hparams_search/*.yaml`:

    model.optimizer.lr: {type: float, low: 1e-4, high: 1e-2, log: true}
    model.net.num_layers: {type: int, low: 8, high: 16, step: 4}
    harmonize.schedule: {type: categorical, choices: [yao, constant]}
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import optuna

RANGE = {"low", "high", "log", "step"}
KINDS = {"float": RANGE, "int": RANGE, "categorical": {"choices"}}


class SpaceError(ValueError):
    """A search space that cannot be sampled: reported as one line before any trial starts."""


def check_space(space: Mapping) -> dict[str, dict]:
    """The space as plain dicts, each entry checked: a known type, its own keys only, low < high."""
    checked = {}
    for name, spec in space.items():
        if not isinstance(spec, Mapping) or spec.get("type") not in KINDS:
            raise SpaceError(f"parameter {name}: give type float, int or categorical (got {spec!r})")
        spec = dict(spec)
        kind = spec.pop("type")
        unknown = set(spec) - KINDS[kind]
        if unknown:
            raise SpaceError(f"parameter {name}: {kind} takes no {', '.join(sorted(unknown))}")
        if kind == "categorical":
            choices = spec.get("choices")
            if not choices or not all(c is None or isinstance(c, bool | int | float | str) for c in choices):
                raise SpaceError(f"parameter {name}: choices must be a list of numbers, strings or booleans")
            spec["choices"] = list(choices)
        else:
            if "low" not in spec or "high" not in spec or not spec["low"] < spec["high"]:
                raise SpaceError(f"parameter {name}: needs low < high")
            if spec.get("log") and spec["low"] <= 0:
                raise SpaceError(f"parameter {name}: a log scale needs low > 0")
        checked[name] = {"type": kind, **spec}
    return checked


def suggest(trial: optuna.Trial, space: Mapping[str, dict]) -> dict:
    """Ask the trial for one value per parameter (an enqueued trial gets its fixed ones back)."""
    params = {}
    for name, spec in space.items():
        options = {k: v for k, v in spec.items() if k not in ("type", "low", "high")}
        if spec["type"] == "float":
            params[name] = trial.suggest_float(name, float(spec["low"]), float(spec["high"]), **options)
        elif spec["type"] == "int":
            params[name] = trial.suggest_int(name, int(spec["low"]), int(spec["high"]), **options)
        else:
            params[name] = trial.suggest_categorical(name, spec["choices"])
    return params


def example(spec: Mapping) -> object:
    """A value of the space, to check before any trial that the task's config accepts the key."""
    return spec["choices"][0] if spec["type"] == "categorical" else spec["low"]


PLAIN = re.compile(r"[A-Za-z_][\w./-]*")


def override_value(value: object) -> str:
    """A Python value in Hydra's override grammar (strings quoted unless plain words)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)  # Hydra reads 1e-05, inf and nan as floats too
    if isinstance(value, list | tuple):
        return "[" + ",".join(override_value(v) for v in value) + "]"
    text = str(value)
    if PLAIN.fullmatch(text) and text not in ("true", "false", "null"):
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def as_overrides(params: Mapping[str, object]) -> list[str]:
    return [f"{name}={override_value(value)}" for name, value in params.items()]
