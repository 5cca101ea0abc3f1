"""Major-triad rate: how much of the four-voice texture, on the 8th-note grid, is a plain major triad."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import Chorale
from deepchorale.data.chords import chord_roots
from deepchorale.evaluation.metrics.grid import harmonic_positions, pitch_class_sets

IS_MAJOR_TRIAD = chord_roots("major triad") >= 0


def major_triad_rate(chorale: Chorale) -> float:
    """Share of 8th-note positions with all four voices sounding whose pitch classes are a major triad.

    Positions as in `non_chord_tone_rate` (`grid.harmonic_positions`); the pitch-class set must be
    exactly a major triad (any voicing and inversion; a chord with an added seventh or a non-chord
    tone is not one). Bach's harmony mixes major, minor and diminished triads and sevenths, so
    major triads are well under half of his positions; a harmoniser that falls back on the plain
    major triad writes bland, "hymn-book" harmony. NaN if the four voices never sound together on
    an 8th.

    Source: chord-type distributions as a style feature (e.g. the chord-quality statistics of Bach
    chorale corpora in Rohrmeier & Cross, "Statistical properties of tonal harmony in Bach's
    chorales", ICMPC 2008); template matching as in Pardo & Birmingham, Computer Music Journal
    26(2), 2002.
    """
    positions = harmonic_positions(chorale)
    if positions.shape[1] == 0:
        return float(np.nan)
    return float(IS_MAJOR_TRIAD[pitch_class_sets(positions)].mean())
