import math

import pytest

from deepchorale.evaluation.metrics.mean_pitch import mean_pitch
from tests.evaluation.metrics.conftest import voices


def test_duration_weighted_mean():
    assert mean_pitch(voices([(72, 12), (60, 4)], [(48, 8)])) == pytest.approx(
        (72 * 12 + 60 * 4 + 48 * 8) / 24
    )
    assert math.isnan(mean_pitch(voices([(None, 4)])))
