import pytest

from deepchorale.evaluation.metrics.polyphony_rate import polyphony_rate
from tests.evaluation.metrics.conftest import chords


def test_share_of_all_steps_above_the_threshold():
    chorale = chords((72, 67, 64, 48), (72, 67, None, None), (67, 67, 60, None), (None, None, None, None))
    assert polyphony_rate(chorale) == pytest.approx(1 / 4)
    assert polyphony_rate(chorale, threshold=1) == pytest.approx(3 / 4)  # the unison counts once


def test_agrees_with_muspy(corpus, to_muspy):
    import muspy

    for chorale in corpus.chorales[:20]:
        if (chorale.pitches[:, -1] >= 0).any():  # MusPy's roll ends with the last note
            assert polyphony_rate(chorale) == pytest.approx(muspy.polyphony_rate(to_muspy(chorale)))
