"""Range-violation rate: notes outside the standard SATB ranges."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import SATB_RANGES, Chorale
from deepchorale.evaluation.metrics.grid import notes

VOICE_RANGES = np.array(SATB_RANGES)


def range_violation_rate(chorale: Chorale) -> float:
    """Share of notes outside their voice's range: S 60-81, A 55-74, T 48-69, B 40-64 (MIDI).

    Notes are counted once each. NaN for a piece without notes.

    Source: the conventional choral SATB ranges of harmony textbooks (e.g. Kostka & Payne,
    *Tonal Harmony*; Aldwell & Schachter, *Harmony and Voice Leading*), whose limits differ by a
    step or two between books; these are generous ones. Bach occasionally exceeds them (his altos
    reach E3, his basses below E2), so the corpus does not score exactly 0.
    """
    found = notes(chorale)
    if len(found) == 0:
        return float(np.nan)
    low, high = VOICE_RANGES[found.voice, 0], VOICE_RANGES[found.voice, 1]
    return float(np.mean((found.pitch < low) | (found.pitch > high)))
