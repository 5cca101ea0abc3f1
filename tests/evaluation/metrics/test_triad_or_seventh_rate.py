import math

import numpy as np
import pytest

from deepchorale.evaluation.metrics.triad_or_seventh_rate import triad_or_seventh_rate
from tests.evaluation.metrics.conftest import chords, voices


@pytest.mark.parametrize(
    "chord",
    [
        (72, 67, 64, 48),  # C major, root position
        (72, 67, 60, 52),  # C major, first inversion
        (69, 64, 60, 45),  # A minor
        (71, 65, 62, 47),  # B diminished
        (72, 68, 64, 48),  # C augmented
        (71, 65, 62, 43),  # G dominant seventh
        (72, 65, 62, 45),  # D minor seventh over its fifth
        (69, 65, 62, 47),  # B half-diminished seventh
        (68, 65, 62, 47),  # B diminished seventh
        (69, 64, 60, 53),  # F major seventh
    ],
)
def test_every_template_in_any_voicing_counts(chord):
    assert triad_or_seventh_rate(chords(chord)) == 1.0


def test_non_chords_and_incomplete_chords_do_not_count():
    assert triad_or_seventh_rate(chords((64, 62, 60, 48))) == 0.0  # C D E
    assert triad_or_seventh_rate(chords((72, 64, 60, 48))) == 0.0  # C E only
    assert triad_or_seventh_rate(chords((77, 71, 67, 43))) == 0.0  # G B F without D


def test_duration_weighted_over_four_voice_steps_only():
    soprano = [(72, 12), (74, 4)]  # a passing D over a C chord for a quarter
    chorale = voices(soprano, [(67, 16)], [(64, 16)], [(48, 16), (None, 16)])
    assert triad_or_seventh_rate(chorale) == pytest.approx(12 / 16)
    assert math.isnan(triad_or_seventh_rate(chords((72, None, 64, 48))))


def test_bach_is_chordal_random_chords_are_not(corpus, random_chorales):
    bach = np.mean([triad_or_seventh_rate(c) for c in corpus.chorales])
    random = np.mean([triad_or_seventh_rate(c) for c in random_chorales])
    assert bach > 0.75
    assert random < 0.25
