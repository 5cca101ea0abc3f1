"""compose's stage settings, built from its config in one place for the app, the API and the benchmarks.

Each stage's section of `conf/compose.yaml` names its settings class with `_target_`, and the
samplers' values come from `conf/sampler/` through its defaults list, so the values users get are
the config's own; `enabled: false` turns an optional stage off. The settings classes have no
defaults: Python callers get the CLI's by `default_stage_settings`, which composes the packaged
config.
"""

from __future__ import annotations

from collections.abc import Sequence

from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

import deepchorale.resolvers  # noqa: F401  (registers ${project_root:}, which compose.yaml uses)
from deepchorale.compose.embellish import EmbellishSettings
from deepchorale.compose.harmonize import HarmonySettings
from deepchorale.compose.ornaments import OrnamentSettings
from deepchorale.models.gan import GanSettings


def _optional_stage(section: DictConfig):
    values = OmegaConf.to_container(section, resolve=True)
    return instantiate(values) if values.pop("enabled") else None


Settings = HarmonySettings | GanSettings | EmbellishSettings | OrnamentSettings | None


GENERATORS = ("coconet", "gan")  # compose's harmonisers: `generator` picks one of `models`


class UnknownGenerator(ValueError):
    """`generator` names no harmoniser compose has."""


def stage_settings(cfg: DictConfig) -> dict[str, Settings]:
    """`harmony`, `sampler`, `embellishment` and `ornaments` settings for `compose.pipeline.compose`:
    `sampler` is the GAN's drawing knob with generator=gan (Coconet draws with `harmony` itself)."""
    if cfg.generator not in GENERATORS:
        raise UnknownGenerator(f"generator {cfg.generator!r} is not one of {', '.join(GENERATORS)}")
    return {
        "harmony": instantiate(cfg.harmonize),
        "sampler": instantiate(cfg.gan) if cfg.generator == "gan" else None,
        "embellishment": _optional_stage(cfg.embellish),
        "ornaments": _optional_stage(cfg.ornaments),
    }


def compose_config(overrides: Sequence[str] = ()) -> DictConfig:
    """The packaged `compose` config with `overrides`, as `deepchorale compose` would see it.

    Inside a running Hydra app the global instance is already set up, so it is borrowed (its own
    config search path includes the packaged one) instead of initialised a second time.
    """
    if GlobalHydra.instance().is_initialized():
        return compose("compose", overrides=list(overrides))
    with initialize_config_module("deepchorale.conf", version_base="1.3"):
        return compose("compose", overrides=list(overrides))


def default_stage_settings(overrides: Sequence[str] = ()) -> dict[str, Settings]:
    """The CLI's stage settings for Python callers, e.g. `default_stage_settings(["harmonize.steps=8"])`."""
    return stage_settings(compose_config(overrides))
