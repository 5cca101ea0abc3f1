import math

import numpy as np

from deepchorale.evaluation.metrics.major_triad_rate import major_triad_rate
from deepchorale.evaluation.metrics.non_chord_tone_rate import non_chord_tone_rate
from tests.evaluation.metrics.conftest import chords


def test_exactly_a_major_triad_in_any_voicing():
    c_major, c_major_first_inversion = (72, 67, 64, 48), (72, 67, 60, 52)
    a_minor, c_seventh, c_without_fifth = (69, 64, 60, 45), (70, 64, 60, 48), (72, 64, 60, 48)
    assert major_triad_rate(chords(c_major, c_major_first_inversion)) == 1.0
    assert major_triad_rate(chords(a_minor, c_seventh, c_without_fifth, c_major)) == 0.25
    assert math.isnan(major_triad_rate(chords((72, None, 64, 48))))


def test_bach_mixes_his_chords(corpus, random_chorales):
    bach = [major_triad_rate(c) for c in corpus.chorales]
    assert 0.35 < np.mean(bach) < 0.5
    assert all(m <= 1 - n for m, n in zip(bach, (non_chord_tone_rate(c) for c in corpus.chorales)))
    assert np.mean([major_triad_rate(c) for c in random_chorales]) < 0.1
