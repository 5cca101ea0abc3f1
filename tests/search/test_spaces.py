"""Every shipped search space composes, and the app its trials run knows each of its parameters."""

import pytest
from hydra import compose, initialize_config_module
from omegaconf import OmegaConf

from deepchorale.apps.search import build_search
from tests.conftest import REPO

SPACES = sorted(p.stem for p in (REPO / "conf" / "hparams_search").glob("*.yaml"))


@pytest.mark.parametrize("space", SPACES)
def test_each_space_fits_its_task(space, tmp_path):
    with initialize_config_module("deepchorale.conf", version_base="1.3"):
        cfg = compose("search", overrides=[f"hparams_search={space}", f"search.study_dir={tmp_path}"],
                      return_hydra_config=True)  # fmt: skip
        search = build_search(cfg)  # composes the task's config with every parameter
    assert search.space and search.objectives and len(search.directions) == len(search.objectives)
    assert set(search.directions) <= {"minimize", "maximize"}
    for params in search.enqueue:  # the points tried first lie inside the space
        for name, value in params.items():
            spec = search.space[name]
            if spec["type"] == "categorical":
                assert value in spec["choices"], name
            else:
                assert spec["low"] <= value <= spec["high"], name
    assert OmegaConf.select(cfg, "search.sampler._target_").startswith("optuna.samplers.")
