"""Triad doubling: which member of a complete four-voice triad is sung by two voices."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import Chorale
from deepchorale.evaluation.metrics.triad_inversion import triad_members

MEMBERS = ("root", "third", "fifth")


def triad_doubling(chorale: Chorale) -> dict[str, float]:
    """Shares of the triad positions whose doubled member is the root, the third or the fifth.

    Triad positions as in `triad_inversion.triad_members` (8th-note positions with all four voices
    sounding a complete major, minor or diminished triad): three pitch classes in four voices, so
    exactly one member is doubled (at the octave or in unison). The three shares sum to 1; NaN for
    all three without a triad position. Bach doubles the root most, the fifth and the third less
    (the third mostly in first inversions and diminished triads); a generator that doubles the
    third as often as the root, or doubles the leading tone, sounds unbalanced.

    Source: the doubling rules of four-part writing (double the root in root position, avoid
    doubling the leading tone), Aldwell & Schachter, *Harmony and Voice Leading*; Kostka & Payne,
    *Tonal Harmony*.
    """
    members = triad_members(chorale)
    if members.shape[1] == 0:
        return dict.fromkeys(MEMBERS, float(np.nan))
    # Each of the members 0, 1, 2 is sung at least once, so the four voices' members sum to 3 plus
    # the doubled one.
    doubled = members.sum(axis=0) - 3
    return dict(zip(MEMBERS, (np.bincount(doubled, minlength=len(MEMBERS)) / doubled.size).tolist()))
