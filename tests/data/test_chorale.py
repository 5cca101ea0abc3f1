import numpy as np
import pytest

from deepchorale.data.chorale import REST, Chorale, Note, chorale_from_notes


def small_chorale() -> Chorale:
    notes = [
        Note(0, 0, 4, 72),
        Note(0, 4, 8, 72),
        Note(0, 8, 16, 74),  # a repeated C, then D
        Note(1, 0, 8, 67),
        Note(1, 8, 16, 65),
        Note(2, 0, 16, 64),
        Note(3, 0, 8, 48),
        Note(3, 10, 16, 43),  # a rest at steps 8-9
    ]
    return chorale_from_notes("toy", notes, 16, meter=(4, 4), pickup=4)


def test_repeated_notes_survive_as_two_notes():
    chorale = small_chorale()
    soprano = [n for n in chorale.notes() if n.voice == 0]
    assert [(n.start, n.end, n.pitch) for n in soprano] == [(0, 4, 72), (4, 8, 72), (8, 16, 74)]
    assert chorale.pitches[3, 8] == REST and chorale.pitches[3, 9] == REST


def test_invalid_records_are_refused():
    chorale = small_chorale()
    onsets = chorale.onsets.copy()
    onsets[0, 8] = False  # pitch changes 72 -> 74 without an onset
    with pytest.raises(ValueError, match="pitch change without an onset"):
        Chorale("bad", chorale.pitches, onsets, chorale.fermatas)
    onsets = chorale.onsets.copy()
    onsets[3, 8] = True
    with pytest.raises(ValueError, match="onset falls on a rest"):
        Chorale("bad", chorale.pitches, onsets, chorale.fermatas)
    with pytest.raises(ValueError, match="shape"):
        Chorale("bad", chorale.pitches[:3], chorale.onsets[:3], chorale.fermatas)


def test_transpose_moves_notes_and_key_but_not_rests():
    up = small_chorale().transpose(3)
    assert up.pitches[0, 0] == 75 and up.pitches[3, 8] == REST and up.key_tonic == 3


def test_crop_marks_cut_notes_and_pads_with_rests():
    chorale = small_chorale()
    window = chorale.crop(2, 20)
    assert window.num_steps == 20
    assert window.onsets[:, 0].all()  # every voice sounds at step 2: each note cut there starts anew
    assert (window.pitches[:, 14:] == REST).all() and not window.onsets[:, 14:].any()
    assert window.pickup == 2  # the first downbeat (step 4) is now step 2
    assert np.array_equal(window.pitches[:, :14], chorale.pitches[:, 2:])


def test_equality_is_by_value():
    assert small_chorale() == small_chorale()
    assert small_chorale() != small_chorale().transpose(1)
