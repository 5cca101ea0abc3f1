"""Experiments state only their deltas: every line of `conf/experiment/*.yaml` changes the config.

For each experiment and each leaf it sets (a value, or an entry of its defaults list), the train
config is composed from a copy of `conf/` whose experiment file lacks that one leaf; the resolved
config must differ from the one composed with the whole file. A line that restates a default, or
what another line already implies, fails here by name.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

import deepchorale.resolvers  # noqa: F401  (the configs use ${best_precision:}, ${project_root:})
from tests.conftest import REPO

CONF = REPO / "src" / "deepchorale" / "conf"
EXPERIMENTS = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))
# The run dir comes from Hydra's runtime, which the compose API does not set; it is no experiment's.
FIXED = ["paths.output_dir=run"]


def leaves(node: DictConfig, prefix: tuple = ()) -> list[tuple]:
    """Paths to the values an experiment sets: ("defaults", i) for a defaults entry, else its keys."""
    paths = []
    for key in node:
        value = node._get_node(key)
        if key == "defaults" and not prefix:
            paths += [("defaults", index) for index in range(len(value))]
        elif isinstance(value, DictConfig) and not value._is_none() and len(value):
            paths += leaves(value, (*prefix, key))
        else:
            paths.append((*prefix, key))
    return paths


def without(node: DictConfig, path: tuple) -> DictConfig:
    trimmed = node.copy()
    parent = trimmed
    for key in path[:-1]:
        parent = parent[key]
    parent.pop(path[-1])  # a key of a mapping, or an index of the defaults list
    return trimmed


def resolved_train_config(conf_dir: Path, experiment: str) -> dict:
    with initialize_config_dir(str(conf_dir), version_base="1.3"):
        cfg = compose("train", overrides=[f"experiment={experiment}", *FIXED])
    return OmegaConf.to_container(cfg, resolve=True)


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_no_line_of_an_experiment_is_a_no_op(experiment, tmp_path):
    conf_dir = tmp_path / "conf"
    shutil.copytree(CONF, conf_dir)
    source = conf_dir / "experiment" / f"{experiment}.yaml"
    text = source.read_text()
    assert text.startswith("# @package _global_\n")
    experiment_config = OmegaConf.load(source)
    whole = resolved_train_config(conf_dir, experiment)

    no_ops = []
    for path in leaves(experiment_config):
        trimmed = OmegaConf.to_yaml(without(experiment_config, path))
        source.write_text(f"# @package _global_\n{trimmed}")
        if resolved_train_config(conf_dir, experiment) == whole:
            no_ops.append(".".join(str(key) for key in path))
    source.write_text(text)
    assert len(leaves(experiment_config)) > 1  # the walk found the file's lines
    assert not no_ops, f"{experiment} restates what the config already is: {no_ops}"
