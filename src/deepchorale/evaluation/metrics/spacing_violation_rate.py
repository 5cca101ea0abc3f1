"""Spacing-violation rate: adjacent upper voices more than an octave apart."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import REST, Chorale

# (upper voice, lower voice, widest allowed distance in semitones)
SPACING_LIMITS = ((0, 1, 12), (1, 2, 12), (2, 3, 19))  # S-A octave, A-T octave, T-B twelfth


def spacing_violation_rate(chorale: Chorale) -> float:
    """Share of steps where an adjacent pair sounds wider than allowed, among steps where one sounds.

    Limits: soprano-alto and alto-tenor at most an octave (12 semitones), tenor-bass at most a
    twelfth (19). A pair counts only at steps where both its voices sound; a crossed pair (negative
    distance) is a crossing, not a spacing fault. NaN if no adjacent pair ever sounds together.

    Source: the SATB spacing rule of harmony textbooks (e.g. Aldwell & Schachter, *Harmony and
    Voice Leading*; Kostka & Payne, *Tonal Harmony*), which allow more between tenor and bass;
    the twelfth is this project's bound, wide enough for Bach's usual practice.
    """
    pitches = chorale.pitches
    checked = np.zeros(chorale.num_steps, bool)
    violated = np.zeros(chorale.num_steps, bool)
    for upper, lower, limit in SPACING_LIMITS:
        both = (pitches[upper] != REST) & (pitches[lower] != REST)
        checked |= both
        violated |= both & (pitches[upper].astype(np.int64) - pitches[lower] > limit)
    return float(violated[checked].mean()) if checked.any() else float(np.nan)
