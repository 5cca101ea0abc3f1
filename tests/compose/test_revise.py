"""Revising a harmonisation where the judge hears it least like Bach, with the shipped weights."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from deepchorale.compose.critic import Critic
from deepchorale.compose.harmonize import generated_cells, harmonize
from deepchorale.compose.melody import load_melody, place_in_register
from deepchorale.compose.pipeline import with_soprano_onsets
from deepchorale.compose.revise import RevisionSettings, revise
from deepchorale.compose.settings import compose_config, default_stage_settings
from deepchorale.models.weights import load_model


@pytest.fixture(scope="module")
def setup():
    """A deliberately weak start (two Gibbs steps) under the first 8 bars of a built-in tune."""
    cfg = compose_config()
    coconet, critic = load_model(cfg.models.coconet), Critic(load_model(cfg.critic))
    melody = place_in_register(load_melody("twinkle_twinkle"))
    soprano, onsets = melody.pitches[:128], melody.onsets[:128]
    shipped = default_stage_settings()
    start = harmonize(coconet, soprano, replace(shipped["harmony"], steps=2), final_tonic=melody.key_tonic,
                      generator=torch.Generator().manual_seed(0))  # fmt: skip
    return {
        "model": coconet,
        "critic": critic,
        "start": start,
        "free": generated_cells(soprano, melody.key_tonic),
        "draw": replace(shipped["harmony"], steps=shipped["revision"].steps),
        "as_chorale": lambda pitches: with_soprano_onsets(pitches, onsets, melody, melody.name),
    }


def revised(setup, seed=0, **changes):
    settings = replace(RevisionSettings(rounds=3, proposals=3, steps=8, context=16), **changes)
    return revise(setup["model"], setup["start"], setup["free"], setup["draw"], settings, setup["critic"],
                  setup["as_chorale"], torch.Generator().manual_seed(seed))  # fmt: skip


def test_revision_raises_the_critics_score_and_redraws_only_free_cells(setup):
    critic, as_chorale = setup["critic"], setup["as_chorale"]
    result = revised(setup)
    assert critic(as_chorale(result)) > critic(as_chorale(setup["start"]))
    changed = result != setup["start"]
    assert changed.any() and not (changed & ~setup["free"]).any()  # soprano and final tonic bass kept


def test_revision_is_reproducible_and_zero_rounds_is_the_identity(setup):
    assert np.array_equal(revised(setup, seed=5), revised(setup, seed=5))
    assert np.array_equal(revised(setup, rounds=0), setup["start"])


def test_the_weakest_window_comes_first(setup):
    """Random lower voices in the last 32 steps spoil only the second of the two 96-step windows."""
    spoiled = setup["start"].copy()
    spoiled[1:, 96:] = np.random.default_rng(0).integers(40, 70, (3, 32))
    spoiled[3, -1] = setup["start"][3, -1]
    assert setup["critic"].weakest_windows(setup["as_chorale"](spoiled)) == [32, 0]


def test_revision_settings_are_checked_and_need_a_judge():
    with pytest.raises(ValueError, match="proposals, steps >= 1"):
        RevisionSettings(rounds=1, proposals=0, steps=8, context=0)
    with pytest.raises(ValueError, match="needs a judge"):
        Critic(None).weakest_windows(None)
