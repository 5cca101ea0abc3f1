import math

import numpy as np

from deepchorale.evaluation.metrics.parallel_fifths import parallel_fifths
from tests.evaluation.metrics.conftest import chords


def test_a_parallel_fifth_is_counted():
    # Soprano G4 -> A4 over bass C4 -> D4: fifth to fifth, both up.
    assert parallel_fifths(chords((67, None, None, 60), (69, None, None, 62))) == 1.0


def test_compound_fifths_and_crossed_voices_count():
    assert parallel_fifths(chords((67, None, None, 48), (69, None, None, 50))) == 1.0  # twelfths
    assert parallel_fifths(chords((60, 67, None, None), (62, 69, None, None))) == 1.0  # alto above


def test_contrary_and_oblique_motion_to_a_fifth_are_not_counted():
    assert parallel_fifths(chords((67, None, None, 60), (69, None, None, 50))) == 0.0  # contrary
    assert parallel_fifths(chords((67, None, None, 60), (67, None, None, 48))) == 0.0  # octave, oblique
    assert parallel_fifths(chords((64, None, None, 60), (69, None, None, 62))) == 0.0  # third to fifth


def test_normalised_per_transition():
    progression = chords((72, 67, 64, 48), (74, 69, 65, 50), (74, 67, 62, 43), (72, 67, 64, 48))
    # I -> ii with every voice up a step (alto-bass twelfths G/C -> A/D), then V -> I voiced correctly.
    assert parallel_fifths(progression) == 1 / 3


def test_fewer_than_two_chords_is_nan():
    assert math.isnan(parallel_fifths(chords((72, 67, 64, 48))))


def test_bach_avoids_them_random_chords_do_not(corpus, random_chorales):
    bach = np.mean([parallel_fifths(c) for c in corpus.chorales])
    random = np.mean([parallel_fifths(c) for c in random_chorales])
    assert bach < 0.005
    assert random > 4 * bach
