import math

import pytest

from deepchorale.evaluation.metrics.qualified_note_rate import qualified_note_rate
from tests.evaluation.metrics.conftest import voices


def test_notes_of_three_steps_or_more_qualify():
    rates = qualified_note_rate(voices([(60, 1), (62, 2), (64, 3), (65, 4)], [(48, 16)]))
    assert rates["soprano"] == pytest.approx(2 / 4)
    assert rates["alto"] == 1.0
    assert math.isnan(rates["tenor"])
    assert rates["all"] == pytest.approx(3 / 5)


def test_threshold_is_configurable():
    chorale = voices([(60, 1), (62, 2), (64, 3), (65, 4)])
    assert qualified_note_rate(chorale, min_steps=2)["soprano"] == pytest.approx(3 / 4)


def test_bach_is_less_fragmented_than_sixteenth_noise(corpus):
    bach = sum(qualified_note_rate(c)["all"] for c in corpus.chorales) / len(corpus.chorales)
    sixteenths = qualified_note_rate(voices([(60 + i % 5, 1) for i in range(64)]))["all"]
    assert bach > 0.5
    assert sixteenths == 0.0
