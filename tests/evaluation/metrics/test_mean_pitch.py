import math

import numpy as np
import pytest

from deepchorale.evaluation.metrics.mean_pitch import mean_pitch
from tests.evaluation.metrics.conftest import voices


def test_duration_weighted_mean_per_voice_and_overall():
    means = mean_pitch(voices([(72, 12), (60, 4)], [(None, 8), (48, 8)]))
    assert means["soprano"] == pytest.approx((72 * 12 + 60 * 4) / 16)
    assert means["alto"] == 48.0  # its rest does not count
    assert math.isnan(means["tenor"]) and math.isnan(means["bass"])
    assert means["all"] == pytest.approx((72 * 12 + 60 * 4 + 48 * 8) / 24)
    assert all(math.isnan(value) for value in mean_pitch(voices([(None, 4)])).values())


def test_bach_voices_sit_in_order(corpus):
    means = {voice: np.mean([mean_pitch(c)[voice] for c in corpus.chorales]) for voice in ("soprano", "bass")}
    assert 69 < means["soprano"] < 72
    assert 49 < means["bass"] < 52
    assert all(
        mean_pitch(c)["soprano"] > mean_pitch(c)["alto"] > mean_pitch(c)["tenor"] > mean_pitch(c)["bass"]
        for c in corpus.chorales
    )
