"""Harmonise and embellish with small untrained nets: what the pipeline guarantees whatever the model."""

from dataclasses import replace

import hydra
import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_module

import deepchorale.resolvers  # noqa: F401
from deepchorale.compose.embellish import (
    EmbellishSettings,
    below_soprano,
    embellish,
    keep_part_writing,
    without_short_notes,
)
from deepchorale.compose.harmonize import harmonize, tonic_in_bass
from deepchorale.compose.melody import load_melody, place_in_register
from deepchorale.compose.settings import default_stage_settings
from deepchorale.data.chorale import REST
from deepchorale.data.convert import to_pianoroll
from deepchorale.sampling.voice_leading import VoiceLeadingPrior


@pytest.fixture(scope="module")
def nets():
    torch.manual_seed(0)
    made = {}
    for name, overrides in {"coconet": ["model.net.num_layers=4", "model.net.num_filters=8"],
                            "arcnn": ["model.net.depth=2", "model.net.base_filters=4"]}.items():  # fmt: skip
        with initialize_config_module("deepchorale.conf", version_base="1.3"):
            cfg = compose("train", overrides=[f"model={name}", *overrides])
        made[name] = hydra.utils.instantiate(cfg.model).eval()
    return made


@pytest.fixture(scope="module")
def shipped():
    """The settings users get; each test states only what it changes (few steps: untrained nets)."""
    return default_stage_settings()


def harmony(shipped, **changes):
    return replace(shipped["harmony"], **changes)


@pytest.fixture(scope="module")
def soprano():
    return place_in_register(load_melody("twinkle_twinkle")).pitches


def test_harmonize_clamps_the_soprano_and_the_final_tonic(nets, soprano, shipped):
    settings = harmony(shipped, window=32, overlap=8, steps=3)
    pitches = harmonize(
        nets["coconet"], soprano, settings, final_tonic=0, generator=torch.Generator().manual_seed(0)
    )
    assert pitches.shape == (4, len(soprano))
    assert np.array_equal(pitches[0], soprano)
    assert (pitches[1:] != REST).all()  # every window was sampled, the last partial one included
    assert pitches[3, -1] == tonic_in_bass(0) == 48
    again = harmonize(
        nets["coconet"], soprano, settings, final_tonic=0, generator=torch.Generator().manual_seed(0)
    )
    assert np.array_equal(pitches, again)


def test_harmonize_samples_the_whole_piece_as_one_block_by_default(nets, soprano, shipped):
    def run(**window):
        settings = harmony(shipped, steps=3, **window)
        return harmonize(
            nets["coconet"], soprano, settings, final_tonic=0, generator=torch.Generator().manual_seed(0)
        )

    assert shipped["harmony"].window is None  # what users get: the whole piece as one block
    whole = run()
    assert np.array_equal(whole[0], soprano) and (whole[1:] != REST).all()
    assert np.array_equal(whole, run(window=len(soprano), overlap=0))  # one window spanning it all
    assert not np.array_equal(whole, run(window=32, overlap=8))


def test_harmonize_refuses_an_overlap_as_long_as_the_window(nets, soprano, shipped):
    with pytest.raises(ValueError, match="overlap"):
        harmonize(
            nets["coconet"],
            soprano,
            harmony(shipped, window=16, overlap=16),
            final_tonic=None,
            generator=None,
        )


def test_embellish_keeps_the_soprano_and_the_frozen_cadence(nets, soprano, shipped):
    settings = harmony(shipped, steps=2)
    pitches = harmonize(
        nets["coconet"], soprano, settings, final_tonic=0, generator=torch.Generator().manual_seed(1)
    )
    settings = EmbellishSettings(max_notes_to_add=20, max_remove_fraction=0.2, iterations=30, temperature=1.0,
                                 guard=None, candidates=1, shortest=1)  # fmt: skip
    edited = embellish(nets["arcnn"], pitches, settings, torch.Generator().manual_seed(0), frozen_from=160)
    assert np.array_equal(edited[0], pitches[0])
    assert np.array_equal(edited[:, 160:], pitches[:, 160:])
    changed = to_pianoroll(edited[1:]) != to_pianoroll(pitches[1:])
    assert changed.any() and not (changed & ~below_soprano(pitches)).any()  # only under the tune


RULES = VoiceLeadingPrior(parallels=12.0, crossing=12.0, spacing=4.0, non_chord=0.0, range=0.0)


def test_keep_part_writing_reverts_only_the_edits_that_break_a_rule():
    phrase = [[72, 72, 74, 74], [64, 64, 65, 65], [55, 55, 57, 57], [48, 48, 53, 53]]
    before = np.tile(np.array(phrase, np.int16), 2)  # I I IV IV I I IV IV
    after = before.copy()
    after[3, 2:4] = 50  # bass D3 under tenor A3: parallel fifths with the tenor's G3 -> A3 -> G3
    after[1, 7] = 62  # alto D4 on the last chord: harmless
    kept = keep_part_writing(before, after, RULES)
    assert kept[1, 7] == 62  # the harmless edit stays
    assert kept[3, 2:4].tolist() == [53, 53]  # the parallels are put back as they were
    assert np.array_equal(keep_part_writing(before, before, RULES), before)


def test_edits_shorter_than_an_eighth_are_put_back_and_the_voices_own_kept():
    tenor, bass = [55, 55, 55, 55, 57, 57, 57, 57], [48, 47, 48, 48, 43, 43, 43, 43]
    before = np.array([[72] * 8, [64] * 8, tenor, bass])
    after = before.copy()
    after[1, 2] = 65  # a 16th the edits made in the alto: put back
    after[2, 4:6] = 59  # an eighth in the tenor: kept
    after[3, 5] = 45  # a 16th in the bass: put back
    kept = without_short_notes(before, after, shortest=2)
    assert kept[1].tolist() == [64] * 8 and kept[2].tolist() == after[2].tolist()
    assert kept[3].tolist() == before[3].tolist()  # the bass's own 16th B2 (not an edit) stays
    assert np.array_equal(without_short_notes(before, after, shortest=1), after)


def test_embellish_with_a_guard_adds_no_parallels(nets, soprano, shipped):
    settings = harmony(shipped, steps=2)
    pitches = harmonize(
        nets["coconet"], soprano, settings, final_tonic=0, generator=torch.Generator().manual_seed(1)
    )
    settings = EmbellishSettings(max_notes_to_add=40, max_remove_fraction=0.2, iterations=60, temperature=1.0,
                                 guard=RULES, candidates=1, shortest=1)  # fmt: skip
    edited = embellish(nets["arcnn"], pitches, settings, torch.Generator().manual_seed(0))
    energy = RULES.cell_energy(torch.from_numpy(edited[None].astype(np.int64)))[0]
    baseline = RULES.cell_energy(torch.from_numpy(pitches[None].astype(np.int64)))[0]
    assert (energy <= baseline + 1e-6).all()
    assert not np.array_equal(edited, pitches)  # it still embellished
