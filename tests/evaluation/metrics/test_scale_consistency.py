import numpy as np
import pytest

from deepchorale.evaluation.metrics.scale_consistency import scale_consistency
from tests.evaluation.metrics.conftest import voices


def test_a_major_scale_is_fully_consistent():
    c_major = [(p, 4) for p in (60, 62, 64, 65, 67, 69, 71, 72)]
    assert scale_consistency(voices(c_major)) == 1.0


def test_chromatic_scale_fits_seven_of_twelve():
    assert scale_consistency(voices([(p, 4) for p in range(60, 72)])) == pytest.approx(7 / 12)


def test_agrees_with_muspy_and_anchor(corpus, to_muspy):
    import muspy

    for chorale in corpus.chorales[:20]:
        assert scale_consistency(chorale) == pytest.approx(muspy.scale_consistency(to_muspy(chorale)))
    values = np.array([scale_consistency(c) for c in corpus.chorales])
    assert values.mean() == pytest.approx(0.93, abs=0.02)  # ANCHORS: 0.93 ± 0.04
    assert values.std() == pytest.approx(0.04, abs=0.015)


def test_random_chords_are_far_less_consistent(corpus, random_chorales):
    bach = np.mean([scale_consistency(c) for c in corpus.chorales])
    random = np.mean([scale_consistency(c) for c in random_chorales])
    assert random < bach - 0.2
