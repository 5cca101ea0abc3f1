"""compose's stages choose between their candidates with the critic, reproducibly."""

import numpy as np
import pytest

from deepchorale.compose.critic import Critic
from deepchorale.compose.melody import load_melody
from deepchorale.compose.pipeline import bass_on_eighths, compose_track
from deepchorale.compose.settings import compose_config, default_stage_settings, load_articulator
from deepchorale.evaluation.metrics.repeated_note_rate import repeated_note_rate
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


def test_the_articulator_strikes_held_inner_notes_again_and_nothing_else(models):
    """Without it the lower voices only move (no repeated notes); with it, the same pitches, the
    soprano's onsets as the tune's, and the inner voices re-strike about as often as Bach's."""
    coconet, critic = models
    articulator = load_articulator(compose_config())

    settings = default_stage_settings([*FAST, "ornaments.enabled=false"])

    def compose(with_articulator):
        return compose_track(load_melody("ode_to_joy"), coconet, None, target_seconds=30.0,
                             max_tempo_change=0.25, seed=0, critic=critic,
                             articulator=articulator if with_articulator else None,
                             **settings).chorale  # fmt: skip

    tied, articulated = compose(False), compose(True)
    assert (tied.pitches == articulated.pitches).all()
    assert (tied.onsets[0] == articulated.onsets[0]).all()
    assert (articulated.onsets >= tied.onsets).all()
    rates = repeated_note_rate(articulated)
    assert repeated_note_rate(tied)["alto"] == repeated_note_rate(tied)["tenor"] == 0.0
    assert 0.05 < rates["alto"] < 0.45 and 0.05 < rates["tenor"] < 0.45  # Bach: p10-p90 0.14-0.33, 0.11-0.28
    assert (compose(True).onsets == articulated.onsets).all()  # reproducible


def test_the_bass_moves_on_the_8th_grid_only():
    upper = [[72] * 8, [67] * 8, [64] * 8]
    pitches = np.array([*upper, [48, 48, 50, 52, 52, 53, 55, 55]])  # C . D E . F G .
    held = bass_on_eighths(pitches, pickup=0)
    assert held[3].tolist() == [48, 48, 50, 50, 52, 52, 55, 55]  # E starts a 16th later, the 16th F is gone
    assert np.array_equal(held[:3], pitches[:3])
    # With a one-16th pickup the 8th grid is shifted by one step.
    assert bass_on_eighths(pitches, pickup=1)[3].tolist() == [48, 48, 48, 52, 52, 53, 53, 55]


def test_a_bass_note_off_the_grid_starts_early_where_starting_late_makes_parallels():
    # The alto falls F4 -> E4 on the 8th; the bass's E3 comes a 16th early. Started late it would
    # fall F3 -> E3 with the alto: octaves; started early it moves a 16th before the alto.
    pitches = np.array([[72] * 6, [65, 65, 64, 64, 64, 64], [60] * 6, [53, 52, 52, 52, 52, 52]])
    assert bass_on_eighths(pitches, pickup=0)[3].tolist() == [52, 52, 52, 52, 52, 52]
    # Where both choices make parallels (late: octaves with the alto into the 8th; early: fifths
    # with the tenor), the note starts late as usual.
    both = np.array([[72] * 6, [62, 62, 65, 64, 64, 64], [57, 57, 59, 59, 59, 59], [50, 50, 53, 52, 52, 52]])
    assert bass_on_eighths(both, pickup=0)[3].tolist() == [50, 50, 53, 53, 52, 52]
