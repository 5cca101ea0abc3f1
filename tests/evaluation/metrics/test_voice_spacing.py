import math

import numpy as np
import pytest

from deepchorale.evaluation.metrics.voice_spacing import voice_spacing
from tests.evaluation.metrics.conftest import chords, voices


def test_mean_distance_of_each_pair_where_both_sound():
    spacing = voice_spacing(chords((72, 67, 64, 48), (74, None, 62, 43), (71, 72, 62, None)))
    assert spacing["soprano_alto"] == pytest.approx((5 - 1) / 2)  # the crossed pair counts negatively
    assert spacing["alto_tenor"] == pytest.approx((3 + 10) / 2)
    assert spacing["tenor_bass"] == pytest.approx((16 + 19) / 2)
    assert spacing["soprano_bass"] == pytest.approx((24 + 31) / 2)
    assert math.isnan(voice_spacing(chords((72, None, None, None)))["soprano_alto"])


def test_steps_weigh_by_duration():
    assert voice_spacing(voices([(72, 12), (76, 4)], [(60, 16)]))["soprano_alto"] == (12 * 12 + 16 * 4) / 16


def test_bach_spacing(corpus, random_chorales):
    spacing = [voice_spacing(c) for c in corpus.chorales]
    # Bach: close upper voices, more room between tenor and bass, outer voices over an octave and a half
    assert 4 < np.mean([s["soprano_alto"] for s in spacing]) < 7
    assert 4 < np.mean([s["alto_tenor"] for s in spacing]) < 7
    assert 7 < np.mean([s["tenor_bass"] for s in spacing]) < 11
    assert 18 < np.mean([s["soprano_bass"] for s in spacing]) < 22
    # Random voices drawn from overlapping textbook ranges crowd the tenor towards the bass.
    assert np.mean([voice_spacing(c)["tenor_bass"] for c in random_chorales]) < 7.5
