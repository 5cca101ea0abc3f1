import math

import numpy as np
import pytest

from deepchorale.evaluation.metrics.triad_doubling import triad_doubling
from tests.evaluation.metrics.conftest import chords


def test_the_member_two_voices_share():
    root, fifth, third = (72, 67, 64, 48), (72, 67, 64, 55), (76, 67, 64, 48)  # C major
    fifth_in_unison, seventh = (67, 67, 64, 48), (71, 65, 62, 43)
    doubling = triad_doubling(chords(root, fifth, third, fifth_in_unison, seventh))
    assert doubling == pytest.approx({"root": 0.25, "third": 0.25, "fifth": 0.5})
    assert all(math.isnan(share) for share in triad_doubling(chords(seventh)).values())


def test_bach_doubles_the_root_most(corpus):
    shares = [triad_doubling(c) for c in corpus.chorales]
    root = np.mean([s["root"] for s in shares])
    assert 0.6 < root < 0.8
    assert root > 2 * max(np.mean([s[member] for s in shares]) for member in ("third", "fifth"))
