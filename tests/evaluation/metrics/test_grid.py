import numpy as np

from deepchorale.evaluation.metrics.grid import (
    bar_starts,
    beat_starts,
    chord_changes,
    complete_bars,
    distinct_pitches_per_step,
    notes,
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
