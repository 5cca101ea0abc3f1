"""What every Hydra app shares: config path, resolved config, results.json, one-line errors.

`hydra_app("data")` turns `task(cfg, output_dir) -> dict` into a Hydra entry point that
- saves the fully resolved config as `config.yaml` in the run's output dir (Hydra's own
  `.hydra/config.yaml` keeps interpolations unresolved),
- writes the returned figures to `results.json` (atomically, so a failed run leaves none),
- turns a `UserInputError`, or a config value that its `_target_` refuses, into one line on
  stderr and exit status 2 instead of a traceback,
- returns `results[cfg.optimized_metric]` when set, which Hydra sweepers optimise.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import InstantiationException
from omegaconf import DictConfig, OmegaConf

import deepchorale.resolvers  # noqa: F401  (registers ${best_precision:} before Hydra composes)
from deepchorale.atomic import write_json, write_text

CONFIG_PATH = "pkg://deepchorale.conf"


class UserInputError(Exception):
    """Bad input from the user: reported as one line, exit status 2."""


def hydra_app(config_name: str) -> Callable:
    def decorate(task: Callable[[DictConfig, Path], dict]) -> Callable[[], object]:
        @hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name=config_name)
        @functools.wraps(task)
        def main(cfg: DictConfig):
            output_dir = Path(HydraConfig.get().runtime.output_dir)
            write_text(output_dir / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))
            try:
                results = task(cfg, output_dir)
            except (UserInputError, InstantiationException) as error:
                reason = (
                    error.__cause__
                    if isinstance(error, InstantiationException) and error.__cause__
                    else error
                )
                print(f"deepchorale {config_name}: error: {reason}", file=sys.stderr)
                sys.exit(2)
            write_json(output_dir / "results.json", results)
            metric = cfg.get("optimized_metric")
            return results.get(metric) if metric else None

        return main

    return decorate
