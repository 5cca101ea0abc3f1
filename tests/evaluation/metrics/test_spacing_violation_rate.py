import numpy as np

from deepchorale.evaluation.metrics.spacing_violation_rate import spacing_violation_rate
from tests.evaluation.metrics.conftest import chords


def test_upper_pairs_within_an_octave_bass_within_a_twelfth():
    ok = (72, 60, 48, 29)  # S-A octave, A-T octave, T-B twelfth
    assert spacing_violation_rate(chords(ok)) == 0.0
    assert spacing_violation_rate(chords(ok, (73, 60, 48, 29))) == 0.5  # S-A a minor ninth
    assert spacing_violation_rate(chords(ok, (72, 60, 48, 28))) == 0.5  # T-B beyond a twelfth


def test_only_sounding_pairs_are_checked():
    assert spacing_violation_rate(chords((84, None, 48, 36))) == 0.0  # no adjacent pair S-A or A-T


def test_bach_spaces_well_random_chords_do_not(corpus, random_chorales):
    bach = np.mean([spacing_violation_rate(c) for c in corpus.chorales])
    random = np.mean([spacing_violation_rate(c) for c in random_chorales])
    assert bach < 0.05
    assert random > 0.3
