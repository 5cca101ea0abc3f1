import math

import numpy as np

from deepchorale.evaluation.metrics.voice_crossing_rate import voice_crossing_rate
from tests.evaluation.metrics.conftest import chords


def test_share_of_steps_with_a_crossing():
    # Second chord: the alto (69) above the soprano (67); unisons are not crossings.
    chorale = chords((72, 67, 64, 48), (67, 69, 64, 48), (67, 67, 60, 48), (72, None, None, None))
    assert voice_crossing_rate(chorale) == 1 / 3


def test_non_adjacent_pairs_count():
    assert voice_crossing_rate(chords((72, None, None, 74))) == 1.0


def test_no_two_voices_is_nan():
    assert math.isnan(voice_crossing_rate(chords((72, None, None, None))))


def test_bach_rarely_crosses_random_chords_often(corpus, random_chorales):
    bach = np.mean([voice_crossing_rate(c) for c in corpus.chorales])
    random = np.mean([voice_crossing_rate(c) for c in random_chorales])
    assert bach < 0.05
    assert random > 0.4
