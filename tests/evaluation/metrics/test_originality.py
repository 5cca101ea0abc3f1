import math
from dataclasses import replace

import numpy as np
import pytest

from deepchorale.data.chorale import REST
from deepchorale.evaluation.metrics.originality import NgramIndex, originality, window_hashes
from tests.evaluation.metrics.conftest import random_chorale


@pytest.fixture(scope="module")
def index(corpus):
    return NgramIndex.build(corpus.chorales)


@pytest.fixture(scope="module")
def bach(corpus):
    return next(c for c in corpus.chorales if (c.pitches != REST).any(axis=0).all())


def test_a_corpus_chorale_is_entirely_shared(index, bach):
    assert index.shared_share(bach) == 1.0
    assert index.longest_shared(bach) == bach.num_steps


def test_a_transposed_copy_is_still_a_copy(index, bach):
    moved = bach.transpose(5)
    assert index.shared_share(moved) == 1.0
    assert index.longest_shared(moved) == bach.num_steps


def test_random_chords_share_nothing(index):
    chorale = random_chorale(np.random.default_rng(1))
    assert originality(chorale, index) == {"shared_share": 0.0, "longest_shared": 0.0}


def test_a_spliced_bach_passage_is_found_with_its_length(index, bach):
    piece = random_chorale(np.random.default_rng(2), num_steps=128)
    pitches = piece.pitches.copy()
    pitches[:, 48:88] = bach.pitches[:, 100:140] + 2
    onsets = piece.onsets.copy()
    onsets[:, 48:88] = bach.onsets[:, 100:140]
    onsets[:, 48] = onsets[:, 88] = True
    spliced = replace(piece, pitches=pitches, onsets=onsets)
    assert index.longest_shared(spliced) == pytest.approx(40, abs=3)  # random edges rarely extend it
    assert 0 < index.shared_share(spliced) < 0.3


def test_silent_windows_are_never_shared():
    silent = np.full((4, 20), REST, np.int16)
    hashes, has_sound = window_hashes(silent, 16)
    assert hashes.shape == (5,) and not has_sound.any()


def test_window_length_is_configurable(bach):
    index = NgramIndex.build([bach], n=32)
    assert index.window_steps == 32
    assert index.longest_shared(bach) == bach.num_steps
    assert math.isnan(index.shared_share(bach.crop(0, 31)))  # shorter than one window
