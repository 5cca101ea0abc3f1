"""The tertian chord vocabulary of common-practice harmony, as pitch-class sets.

Shared by what measures harmony (`evaluation.metrics`: triad-or-seventh, non-chord-tone, major-triad,
inversion and doubling rates) and what steers a sampler towards it (`sampling.voice_leading`), so
both mean the same thing by "a chord".
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


def chord_roots(*names: str) -> np.ndarray:
    """(4096,) int8 indexed by a 12-bit pitch-class set: its root if it is one of the named chords, else -1.

    For the symmetric chords (augmented triad, diminished seventh) every pitch class is a root;
    the highest one is kept, so ask for their roots only to test membership.
    """
    roots = np.full(1 << 12, -1, np.int8)
    for name in names:
        for root in range(12):
            roots[sum(1 << ((root + i) % 12) for i in CHORD_TEMPLATES[name])] = root
    return roots


IS_CHORD = chord_roots(*CHORD_TEMPLATES) >= 0  # any template, any root


# Chords with the fifth left out, as four voices often write them (two roots and a third at a
# cadence, a dominant seventh without its fifth): Aldwell & Schachter, ch. 5 and 13. Bach's test split
# has 6.5 % of its four-voice steps incomplete, where a sampler allowed only complete chords has 2 %.
FIFTH_OMITTED = {"major triad": (0, 4), "minor triad": (0, 3), "dominant seventh": (0, 4, 10),
                 "minor seventh": (0, 3, 10), "major seventh": (0, 4, 11)}  # fmt: skip
IS_CHORD_OR_FIFTHLESS = IS_CHORD.copy()
IS_CHORD_OR_FIFTHLESS[
    [
        sum(1 << ((root + i) % 12) for i in intervals)
        for intervals in FIFTH_OMITTED.values()
        for root in range(12)
    ]
] = True

# Seventh chords, complete or without their fifth: the sampler's `seventh` rule counts them.
IS_SEVENTH = chord_roots(*(name for name, intervals in CHORD_TEMPLATES.items() if len(intervals) == 4)) >= 0
IS_SEVENTH[
    [
        sum(1 << ((root + i) % 12) for i in intervals)
        for name, intervals in FIFTH_OMITTED.items()
        if "seventh" in name
        for root in range(12)
    ]
] = True
