"""Triad-or-seventh rate: how much of the four-voice texture forms a recognised chord."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import REST, Chorale

CHORD_TEMPLATES = {  # pitch classes above the root
    "major triad": (0, 4, 7),
    "minor triad": (0, 3, 7),
    "diminished triad": (0, 3, 6),
    "augmented triad": (0, 4, 8),
    "dominant seventh": (0, 4, 7, 10),
    "minor seventh": (0, 3, 7, 10),
    "half-diminished seventh": (0, 3, 6, 10),
    "diminished seventh": (0, 3, 6, 9),
    "major seventh": (0, 4, 7, 11),
}


def _chord_lookup() -> np.ndarray:
    """(4096,) bool indexed by a 12-bit pitch-class set: is it one of the templates, any root?"""
    is_chord = np.zeros(1 << 12, bool)
    for intervals in CHORD_TEMPLATES.values():
        for root in range(12):
            is_chord[sum(1 << ((root + i) % 12) for i in intervals)] = True
    return is_chord


IS_CHORD = _chord_lookup()


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
    pitch_set = np.bitwise_or.reduce(1 << (pitches[:, full].astype(np.int64) % 12), axis=0)
    return float(IS_CHORD[pitch_set].mean())
