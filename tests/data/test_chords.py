from deepchorale.data.chords import IS_CHORD, chord_roots


def pitch_set(*pitch_classes):
    return sum(1 << p for p in pitch_classes)


def test_roots_of_the_named_chords_only():
    triads = chord_roots("major triad", "minor triad")
    assert triads[pitch_set(0, 4, 7)] == 0  # C major
    assert triads[pitch_set(9, 0, 4)] == 9  # A minor
    assert triads[pitch_set(11, 2, 5)] == -1  # B diminished: not asked for
    assert triads[pitch_set(7, 11, 2, 5)] == -1  # G seventh


def test_every_template_is_a_chord():
    assert IS_CHORD[pitch_set(7, 11, 2, 5)] and IS_CHORD[pitch_set(0, 4, 8)]
    assert not IS_CHORD[pitch_set(0, 2, 4)] and not IS_CHORD[pitch_set(0, 4)]
    assert IS_CHORD.sum() == 12 * 9 - 8 - 9  # augmented triads and diminished sevenths repeat themselves
