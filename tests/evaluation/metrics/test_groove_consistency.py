import math

import pytest

from deepchorale.evaluation.metrics.groove_consistency import groove_consistency
from tests.evaluation.metrics.conftest import voices


def test_identical_bars_are_fully_consistent():
    assert groove_consistency(voices([(60, 4)] * 12)) == 1.0


def test_hamming_distance_over_bar_length():
    # Bar 1: four quarters (onsets at 0, 4, 8, 12); bar 2: one whole note (onset at 0).
    chorale = voices([(60, 4), (62, 4), (64, 4), (65, 4), (67, 16)])
    assert groove_consistency(chorale) == pytest.approx(1 - 3 / 16)


def test_onsets_of_all_voices_make_the_pattern():
    soprano = [(60, 8), (62, 8), (64, 16)]
    bass = [(48, 4)] * 8
    assert groove_consistency(voices(soprano, bass)) == 1.0


def test_pickup_and_short_last_bar_are_left_out():
    chorale = voices([(60, 2), *[(62, 4)] * 8, (60, 2)], pickup=2)
    assert groove_consistency(chorale) == 1.0
    assert math.isnan(groove_consistency(voices([(60, 4)] * 4)))


def test_agrees_with_muspy_once_its_padding_bar_is_undone(corpus, to_muspy):
    import muspy

    # MusPy ignores pickups and, when the music ends on a barline, appends an empty bar, which adds
    # the last bar's onset count to the Hamming distance and one transition to the denominator.
    checked = 0
    for chorale in corpus.chorales[:80]:
        if chorale.pickup or chorale.meter != (4, 4):
            continue
        bars = chorale.crop(0, chorale.num_steps // 16 * 16)
        if not (bars.pitches[:, -1] >= 0).any():
            continue
        n_bars = bars.num_steps // 16
        last_bar_onsets = bars.onsets[:, -16:].any(axis=0).sum()
        muspy_distance = (1 - muspy.groove_consistency(to_muspy(bars), 16)) * 16 * n_bars
        our_distance = (1 - groove_consistency(bars)) * 16 * (n_bars - 1)
        assert our_distance == pytest.approx(muspy_distance - last_bar_onsets)
        checked += 1
    assert checked >= 5
