import numpy as np

from deepchorale.evaluation.metrics.range_violation_rate import range_violation_rate
from tests.evaluation.metrics.conftest import chords


def test_notes_outside_the_satb_ranges():
    in_range = (60, 55, 48, 40)
    assert range_violation_rate(chords(in_range, (81, 74, 69, 64))) == 0.0
    assert range_violation_rate(chords(in_range, (82, 74, 69, 39))) == 2 / 8


def test_bach_stays_in_range(corpus):
    assert np.mean([range_violation_rate(c) for c in corpus.chorales]) < 0.01
