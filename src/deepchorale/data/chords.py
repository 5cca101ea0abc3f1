"""The tertian chord vocabulary of common-practice harmony, as pitch-class sets.

Shared by what measures harmony (`evaluation.metrics.triad_or_seventh_rate`) and what steers a
sampler towards it (`sampling.voice_leading`), so both mean the same thing by "a chord".
Source: Aldwell & Schachter, *Harmony and Voice Leading*; Kostka & Payne, *Tonal Harmony*.
"""

from __future__ import annotations

import numpy as np

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
