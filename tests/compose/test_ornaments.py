from dataclasses import replace

import numpy as np

from deepchorale.compose.ornaments import OrnamentSettings, ornament
from deepchorale.data.chorale import Note, chorale_from_notes
from deepchorale.sampling.voice_leading import VoiceLeadingPrior

ONLY = {
    "passing": OrnamentSettings(True, False, False, False, strength=1.0, guard=None, candidates=1),
    "neighbour": OrnamentSettings(False, True, False, False, strength=1.0, guard=None, candidates=1),
    "suspension": OrnamentSettings(False, False, True, False, strength=1.0, guard=None, candidates=1),
    "trill": OrnamentSettings(False, False, False, True, strength=1.0, guard=None, candidates=1),
}


def four_voices(alto, tenor=((0, 16, 55),), bass=((0, 16, 48),), soprano=((0, 16, 76),), fermata_end=None):
    notes = [Note(v, s, e, p) for v, part in enumerate((soprano, alto, tenor, bass)) for s, e, p in part]
    fermatas = np.zeros(16, bool)
    if fermata_end:
        fermatas[fermata_end[0] : fermata_end[1]] = True
    return chorale_from_notes("toy", notes, 16, fermatas, key_tonic=0, key_mode="major")


def test_a_third_is_filled_with_a_passing_tone():
    chorale = four_voices(alto=((0, 8, 64), (8, 16, 67)))  # E4 -> G4
    result, changed = ornament(chorale, ONLY["passing"], np.random.default_rng(0))
    assert result.pitches[1].tolist() == [64] * 4 + [65] * 4 + [67] * 8  # F4 passes between
    assert not changed.any() and np.array_equal(result.pitches[0], chorale.pitches[0])


def test_a_repeated_note_gets_a_neighbour():
    chorale = four_voices(alto=((0, 8, 64), (8, 16, 64)))
    result, _ = ornament(chorale, ONLY["neighbour"], np.random.default_rng(0))
    assert result.pitches[1, 4] in (62, 65) and result.pitches[1, 0] == result.pitches[1, 8] == 64
    assert result.onsets[1, 4] and result.onsets[1, 8]


def test_a_falling_step_is_suspended():
    chorale = four_voices(alto=((0, 8, 65), (8, 16, 64)))  # F4 -> E4
    result, _ = ornament(chorale, ONLY["suspension"], np.random.default_rng(0))
    assert result.pitches[1].tolist() == [65] * 12 + [64] * 4  # F held into the next beat, then E


def test_cadential_trill_on_the_penultimate_soprano_note():
    chorale = four_voices(alto=((0, 16, 64),), soprano=((0, 8, 74), (8, 16, 72)), fermata_end=(8, 16))
    result, changed = ornament(chorale, ONLY["trill"], np.random.default_rng(0))
    assert result.pitches[0, :8].tolist() == [76, 74, 76, 74, 76, 74, 74, 74]  # E D E D E D..., on D
    assert changed[:8].all() and not changed[8:].any()


def test_strength_zero_changes_nothing_and_seeds_reproduce(by_id):
    chorale = by_id["bwv269"]
    every_figure = OrnamentSettings(True, True, True, True, strength=0.5, guard=None, candidates=1)
    unchanged, _ = ornament(chorale, replace(every_figure, strength=0.0), np.random.default_rng(0))
    assert unchanged == chorale
    first, _ = ornament(chorale, every_figure, np.random.default_rng(5))
    second, _ = ornament(chorale, every_figure, np.random.default_rng(5))
    assert first == second and first != chorale
    assert first.onsets.sum() > chorale.onsets.sum()


def test_a_guard_refuses_a_passing_tone_that_makes_parallel_fifths():
    # Alto E4 -> G4 while the tenor steps A3 -> B flat 3 where the passing F4 would enter:
    # E4/A3 -> F4/B flat 3 is a parallel fifth.
    chorale = four_voices(alto=((0, 8, 64), (8, 16, 67)), tenor=((0, 4, 57), (4, 16, 58)))
    free, _ = ornament(chorale, ONLY["passing"], np.random.default_rng(0))
    assert free.pitches[1, 4] == 65  # unguarded, F4 is written
    rules = VoiceLeadingPrior(parallels=12.0, crossing=12.0, spacing=4.0, non_chord=0.0, range=0.0)
    guarded, _ = ornament(chorale, replace(ONLY["passing"], guard=rules), np.random.default_rng(0))
    assert np.array_equal(guarded.pitches, chorale.pitches)
