import math

import numpy as np
import pytest

from deepchorale.evaluation.metrics.mean_melodic_interval import mean_melodic_interval
from tests.evaluation.metrics.conftest import voices


def test_mean_absolute_interval_per_voice_across_rests_and_repeats():
    soprano = [(60, 4), (62, 4), (None, 4), (64, 4), (64, 4), (60, 4)]  # 2, 2, 0, 4
    means = mean_melodic_interval(voices(soprano, [(55, 24)]))
    assert means["soprano"] == pytest.approx(8 / 4)
    assert math.isnan(means["alto"])  # one note, no interval


def test_bach_moves_by_step_random_chords_leap(corpus, random_chorales):
    for voice in ("soprano", "alto", "tenor"):
        bach = np.mean([mean_melodic_interval(c)[voice] for c in corpus.chorales])
        random = np.mean([mean_melodic_interval(c)[voice] for c in random_chorales])
        assert bach < 2.5
        assert random > 2 * bach
