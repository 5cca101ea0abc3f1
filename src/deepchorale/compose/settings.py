"""compose's stage settings and harmoniser, built from its config in one place for the app, the API
and the benchmarks.

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
from deepchorale.compose.refine import DraftThenRefine, RefineSettings
from deepchorale.compose.revise import RevisionSettings
from deepchorale.data.registers import (
    Registers,
    RegistersError,
    bach_registers,
    read_registers,
    registers_from_json,
)
from deepchorale.models.articulation import Articulator
from deepchorale.models.gan import GanSettings
from deepchorale.models.protocol import Infiller
from deepchorale.models.weights import load_model, read_weights


def _optional_stage(section: DictConfig):
    values = OmegaConf.to_container(section, resolve=True)
    return instantiate(values) if values.pop("enabled") else None


Settings = (
    HarmonySettings | GanSettings | RefineSettings | RevisionSettings | EmbellishSettings | OrnamentSettings
) | None

# overrides for composing without a critic: no revision, one candidate per stage
WITHOUT_CRITIC = (
    "revise.enabled=false",
    "harmonize.candidates=1",
    "embellish.candidates=1",
    "ornaments.candidates=1",
)

# compose's harmonisers: `harmoniser` names one of `models`, or a GAN draft Coconet refines
HARMONISERS = ("coconet", "gan", "gan+coconet")


class SettingsError(ValueError):
    """A stage setting compose cannot use (the app says so in one line)."""


class UnknownHarmoniser(SettingsError):
    """`harmoniser` names none compose has."""


def stage_settings(cfg: DictConfig) -> dict[str, Settings]:
    """`harmony`, `sampler`, `revision`, `embellishment` and `ornaments` settings for
    `compose.pipeline.compose`: `sampler` is the GAN's drawing knob with harmoniser=gan and Coconet's
    refining settings with harmoniser=gan+coconet (Coconet alone draws with `harmony` itself);
    `revision` is off without a critic (`critic: null`), which finds the windows to revise."""
    check_harmoniser(cfg)
    if cfg.harmoniser == "gan+coconet" and not 0.1 <= cfg.refine.pmax <= 1:
        raise SettingsError(f"refine.pmax {cfg.refine.pmax} must be in [0.1, 1] (Yao's floor to all)")
    samplers = {"gan": cfg.gan, "gan+coconet": cfg.refine}
    return {
        "harmony": instantiate(cfg.harmonize),
        "sampler": instantiate(samplers[cfg.harmoniser]) if cfg.harmoniser in samplers else None,
        "revision": _optional_stage(cfg.revise) if cfg.critic else None,
        "embellishment": _optional_stage(cfg.embellish),
        "ornaments": _optional_stage(cfg.ornaments),
    }


def check_harmoniser(cfg: DictConfig) -> None:
    if cfg.harmoniser not in HARMONISERS:
        raise UnknownHarmoniser(f"harmoniser {cfg.harmoniser!r} is not one of {', '.join(HARMONISERS)}")


def load_harmoniser(cfg: DictConfig) -> Infiller:
    """The model (or models) `harmoniser` names, loaded from `models`; gan+coconet drafts with the
    GAN under `gan` and refines with Coconet."""
    check_harmoniser(cfg)
    if cfg.harmoniser == "gan+coconet":
        draft, refiner = (
            load_model(cfg.models.gan, kind="gan"),
            load_model(cfg.models.coconet, kind="coconet"),
        )
        return DraftThenRefine(draft, instantiate(cfg.gan), refiner)
    return load_model(cfg.models[cfg.harmoniser], kind=cfg.harmoniser)


def compose_registers(cfg: DictConfig) -> Registers:
    """Where the voices sing (`registers`): with `auto`, the corpus of the model that writes the final
    harmony (Coconet, or the GAN alone with harmoniser=gan), as its weights file records it, else
    Bach's; `bach`; or a registers file."""
    check_harmoniser(cfg)
    try:
        if cfg.registers == "bach":
            return bach_registers()
        if cfg.registers != "auto":
            return read_registers(cfg.registers)
        weights = cfg.models.gan if cfg.harmoniser == "gan" else cfg.models.coconet
        stored = read_weights(weights)["metadata"].get("registers")
        return (
            bach_registers() if stored is None else registers_from_json(stored, f"{weights}'s training data")
        )
    except RegistersError as error:
        raise SettingsError(str(error)) from error


def load_articulator(cfg: DictConfig) -> Articulator | None:
    """compose's articulation model at `articulation.temperature`, or None when it is off."""
    if not cfg.articulation.enabled:
        return None
    if not 0 < cfg.articulation.temperature <= 10:
        raise SettingsError(f"articulation.temperature {cfg.articulation.temperature} must be in (0, 10]")
    articulator = load_model(cfg.models.articulation, kind="articulation")
    articulator.temperature = float(cfg.articulation.temperature)
    return articulator


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
