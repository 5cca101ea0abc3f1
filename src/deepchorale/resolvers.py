"""OmegaConf resolvers the configs use; importing this module registers them.

`${project_root:}` is the repository checkout (for shipped weights under experiments/).

`${best_precision:}` picks the fastest numerically sound training precision for this machine
(`precision.best_precision`).
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import OmegaConf


def project_root() -> str:
    """The checkout this package runs from (`pip install -e .`): where experiments/ and its shipped
    weights live, whatever the working directory."""
    return str(Path(__file__).resolve().parents[2])


def best_precision() -> str:
    """`precision.best_precision`, imported only when a config resolves it: it loads torch (seconds),
    which `--help` and every app's start-up must not wait for."""
    from deepchorale.precision import best_precision

    return best_precision()


OmegaConf.register_new_resolver("best_precision", best_precision, replace=True)
OmegaConf.register_new_resolver("project_root", project_root, replace=True)
