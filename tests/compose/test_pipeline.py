"""compose's stages choose between their candidates with the critic, reproducibly."""

import pytest

from deepchorale.compose.critic import Critic
from deepchorale.compose.melody import load_melody
from deepchorale.compose.pipeline import compose_track
from deepchorale.compose.settings import compose_config, default_stage_settings
from deepchorale.models.weights import load_model

FAST = ["harmonize.steps=8", "revise.enabled=false", "embellish.enabled=false"]


@pytest.fixture(scope="module")
def models():
    cfg = compose_config()
    return load_model(cfg.models.coconet), Critic(load_model(cfg.critic))


def composed(models, *overrides, critic=True):
    coconet, critic_ = models
    return compose_track(load_melody("ode_to_joy"), coconet, None, target_seconds=30.0, max_tempo_change=0.25,
                   seed=0, critic=critic_ if critic else None,
                   **default_stage_settings([*FAST, *overrides]))  # fmt: skip


def test_more_ornament_candidates_never_score_lower(models):
    """The first of several draws is the single draw, so the critic's pick can only be as good or better."""
    critic = models[1]
    one = composed(models, "ornaments.candidates=1").chorale
    several = composed(models, "ornaments.candidates=6").chorale
    assert critic(several) >= critic(one)
    assert critic(several) == critic(composed(models, "ornaments.candidates=6").chorale)  # reproducible


def test_several_candidates_need_a_critic(models):
    with pytest.raises(ValueError, match="need a `critic`"):
        composed(models, "ornaments.candidates=2", critic=False)
    assert composed(models, "ornaments.candidates=1", critic=False).chorale.num_steps > 0
