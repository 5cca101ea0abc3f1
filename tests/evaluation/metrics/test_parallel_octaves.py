import numpy as np

from deepchorale.evaluation.metrics.parallel_octaves import parallel_octaves
from tests.evaluation.metrics.conftest import chords


def test_octaves_double_octaves_and_unisons_count():
    assert parallel_octaves(chords((72, None, None, 60), (74, None, None, 62))) == 1.0
    assert parallel_octaves(chords((72, None, None, 48), (74, None, None, 50))) == 1.0
    assert parallel_octaves(chords((None, 64, 64, None), (None, 65, 65, None))) == 1.0


def test_contrary_octaves_and_fifths_are_not_octaves():
    assert parallel_octaves(chords((72, None, None, 60), (74, None, None, 50))) == 0.0
    assert parallel_octaves(chords((67, None, None, 60), (69, None, None, 62))) == 0.0


def test_normalised_per_transition():
    # I -> ii with every voice up a step (soprano-bass double octaves C/C -> D/D), then V -> I.
    progression = chords((72, 67, 64, 48), (74, 69, 65, 50), (74, 67, 62, 43), (72, 67, 64, 48))
    assert parallel_octaves(progression) == 1 / 3


def test_bach_avoids_them_random_chords_do_not(corpus, random_chorales):
    bach = np.mean([parallel_octaves(c) for c in corpus.chorales])
    random = np.mean([parallel_octaves(c) for c in random_chorales])
    assert bach < 0.005
    assert random > 4 * bach
