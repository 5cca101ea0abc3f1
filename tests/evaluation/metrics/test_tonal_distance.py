import math

import numpy as np
import pytest

from deepchorale.evaluation.metrics.tonal_distance import TONAL_CENTROID_BASIS, tonal_distance
from tests.evaluation.metrics.conftest import chords, voices


def test_basis_places_a_fifth_next_door_on_the_circle_of_fifths():
    c, g = TONAL_CENTROID_BASIS[:2, 0], TONAL_CENTROID_BASIS[:2, 7]
    assert np.linalg.norm(c - g) == pytest.approx(2 * math.sin(math.pi / 12))  # 30 degrees apart


def test_same_pitch_classes_give_zero():
    distances = tonal_distance(chords((72, 60, 48, 36), (76, 64, 52, 40)))
    assert distances == pytest.approx({"melody_accompaniment": 0.0, "upper_lower": 0.0})


def test_tritone_apart_by_hand():
    # C against F#: opposite on the circles of fifths and of minor thirds (radius 1, distance 2 each),
    # the same point on the circle of major thirds (6 x 2pi/3 = 4pi): sqrt(4 + 4 + 0).
    chorale = voices([(72, 16)], [(66, 16)], [(54, 16)], [(42, 16)])
    assert tonal_distance(chorale)["melody_accompaniment"] == pytest.approx(math.sqrt(8))


def test_bars_with_a_silent_group_are_skipped():
    chorale = voices([(72, 16), (None, 16)], [(60, 32)], [(48, 32)], [(36, 32)])
    assert tonal_distance(chorale)["melody_accompaniment"] == pytest.approx(0.0)
    assert math.isnan(tonal_distance(voices([(72, 16)]))["upper_lower"])


def test_bach_melody_fits_its_accompaniment_better_than_random(corpus, random_chorales):
    bach = np.mean([tonal_distance(c)["melody_accompaniment"] for c in corpus.chorales])
    random = np.mean([tonal_distance(c)["melody_accompaniment"] for c in random_chorales])
    assert bach < random
