import math

import numpy as np
import pytest

from deepchorale.evaluation.metrics.non_chord_tone_rate import non_chord_tone_rate
from deepchorale.evaluation.metrics.triad_or_seventh_rate import triad_or_seventh_rate
from tests.evaluation.metrics.conftest import chords, voices


def c_major_under(soprano, **metadata):
    return voices(soprano, [(67, 8)], [(64, 8)], [(48, 8)], **metadata)


def test_dissonance_on_the_eighth_grid_counts_a_sixteenth_between_does_not():
    assert non_chord_tone_rate(c_major_under([(72, 5), (74, 1), (76, 2)])) == 0.0  # passing D off the grid
    assert non_chord_tone_rate(c_major_under([(72, 6), (74, 2)])) == pytest.approx(1 / 4)  # D on an 8th
    # The grid starts at the first downbeat: after a 16th pickup, the D on step 0 is off it.
    assert non_chord_tone_rate(c_major_under([(74, 1), (72, 7)])) == pytest.approx(1 / 4)
    assert non_chord_tone_rate(c_major_under([(74, 1), (72, 7)], pickup=1)) == 0.0


def test_incomplete_chords_count_rests_leave_the_grid():
    assert non_chord_tone_rate(chords((72, 64, 60, 48), (72, 67, 64, None))) == 1.0
    assert math.isnan(non_chord_tone_rate(chords((72, None, 64, 48))))


def test_the_chord_vocabulary_of_triad_or_seventh_rate(random_chorales):
    # On quarter-note chords both sample every chord evenly, so they are complements.
    for chorale in random_chorales[:10]:
        assert non_chord_tone_rate(chorale) == pytest.approx(1 - triad_or_seventh_rate(chorale))


def test_bach_has_some_dissonance_random_chords_mostly(corpus, random_chorales):
    bach = np.mean([non_chord_tone_rate(c) for c in corpus.chorales])
    assert 0.1 < bach < 0.25
    assert np.mean([non_chord_tone_rate(c) for c in random_chorales]) > 0.7
