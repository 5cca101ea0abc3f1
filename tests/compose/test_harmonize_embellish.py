"""Harmonise and embellish with small untrained nets: what the pipeline guarantees whatever the model."""

import hydra
import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_module

import deepchorale.resolvers  # noqa: F401
from deepchorale.compose.embellish import EmbellishSettings, below_soprano, embellish
from deepchorale.compose.harmonize import harmonize, tonic_in_bass
from deepchorale.compose.melody import load_melody, place_in_soprano_range
from deepchorale.data.chorale import REST
from deepchorale.data.convert import to_pianoroll


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
def soprano():
    return place_in_soprano_range(load_melody("twinkle_twinkle")).pitches


def test_harmonize_clamps_the_soprano_and_the_final_tonic(nets, soprano):
    generator = torch.Generator().manual_seed(0)
    pitches = harmonize(
        nets["coconet"], soprano, final_tonic=0, window=32, overlap=8, steps=3, generator=generator
    )
    assert pitches.shape == (4, len(soprano))
    assert np.array_equal(pitches[0], soprano)
    assert (pitches[1:] != REST).all()  # every window was sampled, the last partial one included
    assert pitches[3, -1] == tonic_in_bass(0) == 48
    again = harmonize(nets["coconet"], soprano, final_tonic=0, window=32, overlap=8, steps=3,
                      generator=torch.Generator().manual_seed(0))  # fmt: skip
    assert np.array_equal(pitches, again)


def test_harmonize_samples_the_whole_piece_as_one_block_by_default(nets, soprano):
    def run(**window):
        generator = torch.Generator().manual_seed(0)
        return harmonize(nets["coconet"], soprano, final_tonic=0, steps=3, generator=generator, **window)

    whole = run()
    assert np.array_equal(whole[0], soprano) and (whole[1:] != REST).all()
    assert np.array_equal(whole, run(window=len(soprano), overlap=0))  # one window spanning it all
    assert not np.array_equal(whole, run(window=32, overlap=8))


def test_harmonize_refuses_an_overlap_as_long_as_the_window(nets, soprano):
    with pytest.raises(ValueError, match="overlap"):
        harmonize(nets["coconet"], soprano, window=16, overlap=16)


def test_embellish_keeps_the_soprano_and_the_frozen_cadence(nets, soprano):
    pitches = harmonize(
        nets["coconet"], soprano, final_tonic=0, steps=2, generator=torch.Generator().manual_seed(1)
    )
    settings = EmbellishSettings(max_notes_to_add=20, max_remove_fraction=0.2, iterations=30)
    edited = embellish(nets["arcnn"], pitches, settings, torch.Generator().manual_seed(0), frozen_from=160)
    assert np.array_equal(edited[0], pitches[0])
    assert np.array_equal(edited[:, 160:], pitches[:, 160:])
    changed = to_pianoroll(edited[1:]) != to_pianoroll(pitches[1:])
    assert changed.any() and not (changed & ~below_soprano(pitches)).any()  # only under the tune
