"""Triad-or-seventh rate: how much of the four-voice texture forms a recognised chord."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import REST, Chorale
from deepchorale.data.chords import IS_CHORD
from deepchorale.evaluation.metrics.grid import pitch_class_sets


def triad_or_seventh_rate(chorale: Chorale) -> float:
    """Share of the steps with all four voices sounding whose pitch-class set is a triad or seventh.

    Steps, so the measure is duration-weighted: a passing note on a 16th weighs less than a
    half-note chord. The pitch-class set (doublings and octaves ignored, so any inversion and
    voicing) must equal exactly one of: major, minor, diminished or augmented triad; dominant,
    minor, half-diminished, diminished or major seventh chord. An incomplete chord (e.g. a seventh
    without its fifth, or two pitch classes) and a chord with a non-chord tone do not count. NaN if
    the four voices never sound together.

    Source: tertian chord vocabulary of common-practice harmony (e.g. Aldwell & Schachter,
    *Harmony and Voice Leading*; Kostka & Payne, *Tonal Harmony*); template matching of pitch-class
    sets as in Pardo & Birmingham, "Algorithms for Chordal Analysis", Computer Music Journal 26(2),
    2002.
    """
    pitches = chorale.pitches
    full = np.all(pitches != REST, axis=0)
    if not full.any():
        return float(np.nan)
    return float(IS_CHORD[pitch_class_sets(pitches[:, full])].mean())
