import pytest

from deepchorale.evaluation.metrics.empty_bar_rate import empty_bar_rate
from tests.evaluation.metrics.conftest import voices


def test_empty_bars_are_counted_as_empty():
    # Three bars of 4/4; the middle one is silent in every voice.
    line = [(60, 16), (None, 16), (64, 16)]
    rates = empty_bar_rate(voices(line, line, line, line))
    assert rates == pytest.approx(
        {"soprano": 1 / 3, "alto": 1 / 3, "tenor": 1 / 3, "bass": 1 / 3, "all": 1 / 3}
    )


def test_per_voice_and_all():
    soprano = [(72, 48)]
    bass = [(None, 32), (48, 16)]
    rates = empty_bar_rate(voices(soprano, [(None, 48)], [(None, 48)], bass))
    assert rates["soprano"] == 0.0
    assert rates["alto"] == 1.0
    assert rates["bass"] == pytest.approx(2 / 3)
    assert rates["all"] == 0.0


def test_a_note_held_over_the_barline_fills_the_next_bar():
    assert empty_bar_rate(voices([(60, 20), (None, 28)]))["soprano"] == pytest.approx(1 / 3)


def test_bach_has_no_empty_bars(corpus):
    mean = sum(empty_bar_rate(c)["all"] for c in corpus.chorales) / len(corpus.chorales)
    assert mean < 0.01
