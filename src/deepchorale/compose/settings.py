"""compose's stage settings, built from its config in one place for the app and the benchmarks.

Each stage's section of `conf/compose.yaml` names its settings class with `_target_`, so the
values users get are the config's own; `enabled: false` turns an optional stage off.
"""

from __future__ import annotations

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from deepchorale.compose.embellish import EmbellishSettings
from deepchorale.compose.ornaments import OrnamentSettings
from deepchorale.compose.pipeline import HarmonySettings


def _optional_stage(section: DictConfig):
    values = OmegaConf.to_container(section, resolve=True)
    return instantiate(values) if values.pop("enabled") else None


Settings = HarmonySettings | EmbellishSettings | OrnamentSettings | None


def stage_settings(cfg: DictConfig) -> dict[str, Settings]:
    """`harmony`, `embellishment` and `ornaments` settings for `compose.pipeline.compose`."""
    return {
        "harmony": instantiate(cfg.harmonize),
        "embellishment": _optional_stage(cfg.embellish),
        "ornaments": _optional_stage(cfg.ornaments),
    }
