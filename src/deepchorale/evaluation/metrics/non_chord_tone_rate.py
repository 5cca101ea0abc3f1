"""Non-chord-tone rate: how much of the four-voice texture, on the 8th-note grid, is not a plain chord."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import Chorale
from deepchorale.data.chords import IS_CHORD
from deepchorale.evaluation.metrics.grid import harmonic_positions, pitch_class_sets


def non_chord_tone_rate(chorale: Chorale) -> float:
    """Share of 8th-note positions with all four voices sounding whose pitch classes are not a chord.

    Positions are those of `grid.harmonic_positions` (every 8th from the first downbeat where all
    four voices sound); "a chord" is the vocabulary of `triad_or_seventh_rate` (`data.chords`:
    a major, minor, diminished or augmented triad or one of five sevenths, any voicing). What fails
    is mostly a chord with a non-chord tone (a suspension, an accented passing or neighbour note,
    an anticipation) and sometimes an incomplete chord (a seventh without its fifth, a final chord
    without its fifth). It is `1 - triad_or_seventh_rate` read on the 8th-note grid instead of every
    16th step, so that the 16th passing notes between 8ths do not count and what is left is the
    dissonance that sounds on the beat and the half-beat. Bach has about one position in six; a
    generator that writes only plain chords has too few, a noisy one far too many. NaN if the four
    voices never sound together on an 8th.

    Source: non-chord tones (suspensions, passing and neighbour notes) as what ornaments Bach's
    chorale texture, Aldwell & Schachter, *Harmony and Voice Leading*; chord-template matching as
    in Pardo & Birmingham, "Algorithms for Chordal Analysis", Computer Music Journal 26(2), 2002.
    """
    positions = harmonic_positions(chorale)
    if positions.shape[1] == 0:
        return float(np.nan)
    return float(1.0 - IS_CHORD[pitch_class_sets(positions)].mean())
