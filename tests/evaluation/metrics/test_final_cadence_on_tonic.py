import numpy as np

from deepchorale.evaluation.metrics.final_cadence_on_tonic import final_cadence_on_tonic
from tests.evaluation.metrics.conftest import chords

V_IN_C = (67, 62, 59, 43)
I_IN_C = (72, 64, 55, 48)


def test_authentic_cadence_is_detected():
    assert final_cadence_on_tonic(chords(V_IN_C, I_IN_C, key_tonic=0)) == 1.0


def test_ending_on_the_dominant_is_not():
    assert final_cadence_on_tonic(chords(I_IN_C, V_IN_C, key_tonic=0)) == 0.0


def test_tonic_bass_with_a_non_triad_soprano_is_not():
    assert final_cadence_on_tonic(chords(V_IN_C, (74, 67, 55, 48), key_tonic=0)) == 0.0


def test_the_key_decides():
    assert final_cadence_on_tonic(chords(V_IN_C, I_IN_C, key_tonic=7)) == 0.0


def test_minor_accepts_the_picardy_third_major_does_not_accept_the_minor_third():
    a_minor_picardy = chords((68, 64, 59, 40), (73, 64, 57, 45), key_tonic=9, key_mode="minor")
    assert final_cadence_on_tonic(a_minor_picardy) == 1.0
    c_major_minor_third = chords(V_IN_C, (75, 67, 60, 48), key_tonic=0)
    assert final_cadence_on_tonic(c_major_minor_third) == 0.0


def test_final_chord_is_where_the_bass_last_sounds():
    assert final_cadence_on_tonic(chords(V_IN_C, I_IN_C, (74, None, None, None), key_tonic=0)) == 1.0
    assert final_cadence_on_tonic(chords((72, 64, 55, None), key_tonic=0)) == 0.0


def test_bach_ends_on_the_tonic_random_chords_do_not(corpus, random_chorales):
    assert np.mean([final_cadence_on_tonic(c) for c in corpus.chorales]) > 0.8
    assert np.mean([final_cadence_on_tonic(c) for c in random_chorales]) < 0.2
