import numpy as np

from deepchorale.data.key import estimate_key


def test_scales_find_their_key():
    c_major = np.array([60, 62, 64, 65, 67, 69, 71, 72, 64, 67, 60])
    assert estimate_key(c_major, final_bass=48) == (0, "major")
    a_minor = np.array([57, 59, 60, 62, 64, 65, 68, 69, 60, 64, 57, 69])
    assert estimate_key(a_minor, final_bass=45) == (9, "minor")


def test_final_bass_breaks_a_near_tie_between_relative_keys():
    # Only the notes of C major / A minor, evenly: the cadence on A decides.
    notes = np.array([60, 62, 64, 65, 67, 69, 71] * 3)
    assert estimate_key(notes, final_bass=45)[0] == 9


def test_chorale_keys_agree_with_their_final_chord(corpus):
    # Bach's chorales end on the tonic chord (or its major form, the Picardy third, in minor).
    agree = sum(int(c.pitches[3][c.pitches[3] >= 0][-1] % 12 == c.key_tonic) for c in corpus.chorales) / len(
        corpus.chorales
    )
    assert agree > 0.85
