import math

import numpy as np
import pytest

from deepchorale.evaluation.metrics.outer_voice_motion import outer_voice_motion
from tests.evaluation.metrics.conftest import chords


def outer(*pairs):
    """The motion of soprano-bass pairs, one a quarter, the inner voices resting."""
    return outer_voice_motion(chords(*((soprano, None, None, bass) for soprano, bass in pairs)))


def test_each_kind_of_motion():
    motion = outer(
        (72, 48),
        (74, 47),  # contrary
        (76, 48),  # parallel: a minor to a major tenth
        (79, 53),  # similar: a tenth to a ninth
        (79, 55),  # oblique
        (79, 55),  # re-struck: no move
        (81, None),  # the bass rests: skipped, motion is read across it
        (77, 53),  # parallel double octaves, from (79, 55)
    )
    assert motion == pytest.approx({"contrary": 0.2, "similar": 0.2, "parallel": 0.4, "oblique": 0.2})


def test_a_diminished_to_a_perfect_fifth_is_similar_not_parallel():
    assert outer((71, 65), (74, 67))["similar"] == 1.0
    assert outer((72, 65), (74, 67))["parallel"] == 1.0  # a fifth to a fifth


def test_no_move_is_undefined():
    assert all(math.isnan(share) for share in outer((72, 48), (72, 48), (72, None)).values())


def test_bach_favours_contrary_and_oblique_motion(corpus, random_chorales):
    bach = [outer_voice_motion(c) for c in corpus.chorales]
    assert all(sum(m.values()) == pytest.approx(1.0) for m in bach)
    contrary = np.mean([m["contrary"] for m in bach])
    assert 0.25 < contrary < 0.45
    assert contrary > np.mean([m["similar"] + m["parallel"] for m in bach])
    # Random chords re-draw both voices every beat, so one voice rarely holds its pitch.
    bach_oblique = np.mean([m["oblique"] for m in bach])
    assert bach_oblique > 3 * np.mean([outer_voice_motion(c)["oblique"] for c in random_chorales])
