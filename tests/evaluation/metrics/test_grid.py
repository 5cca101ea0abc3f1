import math

import numpy as np
import pytest

from deepchorale.evaluation.metrics.grid import (
    bar_starts,
    beat_starts,
    chord_changes,
    complete_bars,
    distinct_pitches_per_step,
    harmonic_positions,
    mean_per_voice,
    notes,
    pitch_class_sets,
)
from tests.evaluation.metrics.conftest import chords, voices


def test_notes_match_chorale_notes(corpus):
    for chorale in corpus.chorales[:40]:
        found = notes(chorale)
        expected = [(n.voice, n.start, n.end, n.pitch) for n in chorale.notes()]
        assert (
            list(zip(*(a.tolist() for a in (found.voice, found.start, found.end, found.pitch)))) == expected
        )


def test_repeated_note_and_rest_split_notes():
    chorale = voices([(60, 2), (60, 2), (None, 2), (62, 3)])
    found = notes(chorale)
    assert found.start.tolist() == [0, 2, 6]
    assert found.duration.tolist() == [2, 2, 3]


def test_grid_aligned_to_the_pickup():
    chorale = voices([(60, 4 + 16 + 8)], pickup=4)  # a quarter pickup, a full bar, half a bar
    assert bar_starts(chorale).tolist() == [0, 4, 20]
    assert beat_starts(chorale).tolist() == [0, 4, 8, 12, 16, 20, 24]
    assert complete_bars(np.arange(28), chorale).tolist() == [list(range(4, 20))]
    eighth_pickup = voices([(60, 6)], pickup=2)
    assert beat_starts(eighth_pickup).tolist() == [0, 2]


def test_distinct_pitches_count_unisons_once():
    chorale = chords((72, 67, 64, 48), (67, 67, None, 48), (None, None, None, None))
    assert distinct_pitches_per_step(chorale)[::4].tolist() == [4, 2, 0]


def test_chord_changes_merge_held_chords_and_skip_silence():
    chorale = chords(
        (72, 67, 64, 48), (72, 67, 64, 48), (None, None, None, 48), (72, 67, 64, 48), (71, 67, 62, 55)
    )
    assert chord_changes(chorale).T.tolist() == [[72, 67, 64, 48], [71, 67, 62, 55]]


def test_pitch_class_sets_ignore_octaves_and_doublings():
    c_major = np.array([[72, 60], [67, 55], [64, 52], [48, 48]])
    assert pitch_class_sets(c_major).tolist() == [(1 << 0) | (1 << 4) | (1 << 7)] * 2


def test_harmonic_positions_are_full_chords_on_the_eighth_grid():
    soprano = [(72, 1), (74, 1), (76, 2), (77, 4)]
    chorale = voices(soprano, [(67, 8)], [(64, 8)], [(48, 4), (None, 4)])
    assert harmonic_positions(chorale)[0].tolist() == [72, 76]  # 74 is off the grid, 77 over a rest
    shifted = voices(soprano, [(67, 8)], [(64, 8)], [(48, 4), (None, 4)], pickup=3)
    assert harmonic_positions(shifted)[0].tolist() == [74, 76]


def test_mean_per_voice_and_over_all():
    means = mean_per_voice(np.array([0, 0, 0, 2]), np.array([True, False, False, True]))
    assert means["soprano"] == pytest.approx(1 / 3)
    assert math.isnan(means["alto"]) and means["tenor"] == 1.0
    assert means["all"] == 0.5
    assert math.isnan(mean_per_voice(np.array([], int), np.array([], bool))["all"])
