import numpy as np
import pytest

from deepchorale.evaluation.metrics.large_leap_rate import large_leap_rate
from tests.evaluation.metrics.conftest import voices


def test_only_leaps_beyond_an_octave_count():
    soprano = [(60, 4), (72, 4), (59, 4), (60, 4)]  # 12 (allowed), 13, 1
    assert large_leap_rate(voices(soprano)) == pytest.approx(1 / 3)


def test_bach_never_leaps_beyond_an_octave_random_chords_do(corpus, random_chorales):
    assert np.mean([large_leap_rate(c) for c in corpus.chorales]) < 0.002
    assert np.mean([large_leap_rate(c) for c in random_chorales]) > 0.1
