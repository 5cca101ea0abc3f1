import math

import pytest

from deepchorale.evaluation.metrics.polyphony import polyphony
from tests.evaluation.metrics.conftest import chords


def test_mean_over_sounding_steps_with_unisons_once():
    chorale = chords((72, 67, 64, 48), (67, 67, 60, None), (None, None, None, None))
    assert polyphony(chorale) == pytest.approx((4 + 2) / 2)


def test_silence_is_nan():
    assert math.isnan(polyphony(chords((None, None, None, None))))


def test_agrees_with_muspy(corpus, to_muspy):
    import muspy

    for chorale in corpus.chorales[:20]:
        assert polyphony(chorale) == pytest.approx(muspy.polyphony(to_muspy(chorale)))
