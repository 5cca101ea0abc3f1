import math

import numpy as np
import pytest

from deepchorale.evaluation.metrics.triad_inversion import triad_inversion, triad_members
from tests.evaluation.metrics.conftest import chords

ROOT_POSITION, FIRST, SECOND = (72, 67, 64, 48), (72, 67, 60, 52), (72, 64, 60, 43)  # C major
DIMINISHED_FIRST = (71, 65, 62, 50)  # B diminished over D
AUGMENTED, SEVENTH = (72, 68, 64, 48), (71, 65, 62, 43)  # not counted


def test_the_bass_member_of_each_triad():
    chorale = chords(ROOT_POSITION, FIRST, SECOND, DIMINISHED_FIRST, AUGMENTED, SEVENTH)
    assert triad_members(chorale)[:, ::2].T.tolist() == [
        [0, 2, 1, 0],
        [0, 2, 0, 1],
        [0, 1, 0, 2],
        [0, 2, 1, 1],
    ]
    assert triad_inversion(chorale) == pytest.approx({"root": 0.25, "first": 0.5, "second": 0.25})
    assert all(math.isnan(share) for share in triad_inversion(chords(AUGMENTED, SEVENTH)).values())


def test_bach_stands_mostly_on_the_root_rarely_on_the_fifth(corpus):
    shares = [triad_inversion(c) for c in corpus.chorales]
    assert 0.6 < np.mean([s["root"] for s in shares]) < 0.8
    assert 0.18 < np.mean([s["first"] for s in shares]) < 0.35
    assert np.mean([s["second"] for s in shares]) < 0.06
