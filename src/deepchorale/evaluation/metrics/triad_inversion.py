"""Triad inversion: how often Bach's kind of triad stands on its root, its third or its fifth."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import Chorale
from deepchorale.data.chords import chord_roots
from deepchorale.evaluation.metrics.grid import harmonic_positions, pitch_class_sets

# The augmented triad is left out: it is symmetric, so its root (and inversion) is not defined by
# its pitch classes, and Bach's chorales hardly use it.
TRIAD_ROOTS = chord_roots("major triad", "minor triad", "diminished triad")
# Chord member of each interval above the root (semitones mod 12): 0 root, 1 third, 2 fifth, -1 none
MEMBER = np.full(12, -1)
MEMBER[[0, 3, 4, 6, 7]] = [0, 1, 1, 2, 2]
INVERSIONS = ("root", "first", "second")


def triad_members(chorale: Chorale) -> np.ndarray:
    """(4, K) the member (0 root, 1 third, 2 fifth) each voice sings, at the triad positions.

    Triad positions: the 8th-note positions with all four voices sounding (`grid.harmonic_positions`)
    whose pitch-class set is exactly a major, minor or diminished triad, so a complete triad with
    one member doubled (or sung in unison).
    """
    positions = harmonic_positions(chorale).astype(np.int64)
    roots = TRIAD_ROOTS[pitch_class_sets(positions)].astype(np.int64)
    is_triad = roots >= 0
    return MEMBER[(positions[:, is_triad] - roots[is_triad]) % 12]


def triad_inversion(chorale: Chorale) -> dict[str, float]:
    """Shares of the triad positions in root position, first inversion and second inversion.

    Triad positions as in `triad_members` (8th-note positions, so duration-weighted at 8th
    resolution); the inversion is the member in the bass: root, third ("first") or fifth
    ("second"). The three shares sum to 1; NaN for all three without a triad position. Bach: mostly
    root position, a good share of first inversions (the bass's stepwise line: I6, vii°6), and few
    second inversions (the cadential and passing 6/4 only); too many root positions make a
    "hymn-book" bass, frequent 6/4s an unstable one.

    Source: inversions and the restricted use of the 6/4, Aldwell & Schachter, *Harmony and Voice
    Leading*; Kostka & Payne, *Tonal Harmony*; root-position/inversion statistics of the chorales,
    Rohrmeier & Cross, "Statistical properties of tonal harmony in Bach's chorales", ICMPC 2008.
    """
    bass = triad_members(chorale)[3]
    if bass.size == 0:
        return dict.fromkeys(INVERSIONS, float(np.nan))
    return dict(zip(INVERSIONS, (np.bincount(bass, minlength=len(INVERSIONS)) / bass.size).tolist()))
