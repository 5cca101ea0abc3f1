import math

import numpy as np
import pytest

from deepchorale.data.chorale import chorale_from_pitches
from deepchorale.evaluation.metrics.repeated_note_rate import repeated_note_rate
from tests.evaluation.metrics.conftest import voices


def test_unisons_among_melodic_intervals_re_strikes_only():
    alto = [(64, 4), (64, 4), (65, 8), (None, 4), (65, 4)]  # re-struck, step, repeated across a rest
    rates = repeated_note_rate(voices([(72, 16)], alto))
    assert rates["alto"] == pytest.approx(2 / 3)
    assert math.isnan(rates["soprano"])  # one held note: no interval
    assert rates["all"] == pytest.approx(2 / 3)


def test_bach_inner_voices_repeat_often_the_bass_rarely(corpus):
    rates = [repeated_note_rate(c) for c in corpus.chorales]
    assert 0.15 < np.mean([r["alto"] for r in rates]) < 0.3
    assert 0.15 < np.mean([r["tenor"] for r in rates]) < 0.3
    assert np.mean([r["bass"] for r in rates]) < 0.06
    # Read from pitches alone, the same music has its re-strikes merged into held notes.
    merged = [repeated_note_rate(chorale_from_pitches(c.id, c.pitches))["alto"] for c in corpus.chorales[:20]]
    assert np.nanmean(merged) < 0.2 * np.mean([r["alto"] for r in rates[:20]])
