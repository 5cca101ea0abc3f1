import pytest

from deepchorale.evaluation.metrics.empty_beat_rate import empty_beat_rate
from tests.evaluation.metrics.conftest import voices


def test_counts_the_empty_beats_not_the_sounding_ones():
    # Quarter, quarter rest, quarter: beat 2 is empty. (MusPy 0.5 says 0.0 here, pypianoroll 2/3.)
    assert empty_beat_rate(voices([(60, 4), (None, 4), (64, 4)])) == pytest.approx(1 / 3)


def test_a_note_held_into_a_beat_fills_it():
    assert empty_beat_rate(voices([(60, 5), (None, 7), (64, 4)])) == pytest.approx(1 / 4)


def test_beats_follow_the_pickup():
    # An eighth pickup, then a quarter rest: beats are [0, 2), [2, 6), [6, 10).
    chorale = voices([(60, 2), (None, 4), (64, 4)], pickup=2)
    assert empty_beat_rate(chorale) == pytest.approx(1 / 3)


def test_bach_rarely_rests(corpus):
    assert sum(empty_beat_rate(c) for c in corpus.chorales) / len(corpus.chorales) < 0.05
