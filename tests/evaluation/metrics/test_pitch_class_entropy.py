import math

import numpy as np
import pytest

from deepchorale.evaluation.metrics.pitch_class_entropy import pitch_class_entropy
from tests.evaluation.metrics.conftest import voices


def test_uniform_twelve_pitch_classes_give_log2_12():
    assert pitch_class_entropy(voices([(p, 2) for p in range(60, 72)])) == pytest.approx(math.log2(12))


def test_one_pitch_class_gives_zero_and_two_equal_give_one_bit():
    assert pitch_class_entropy(voices([(60, 4), (72, 4), (48, 4)])) == 0.0
    assert pitch_class_entropy(voices([(60, 4), (67, 4)])) == pytest.approx(1.0)


def test_agrees_with_muspy_and_anchor(corpus, to_muspy):
    import muspy

    for chorale in corpus.chorales[:20]:
        assert pitch_class_entropy(chorale) == pytest.approx(muspy.pitch_class_entropy(to_muspy(chorale)))
    assert np.mean([pitch_class_entropy(c) for c in corpus.chorales]) == pytest.approx(3.0, abs=0.05)
