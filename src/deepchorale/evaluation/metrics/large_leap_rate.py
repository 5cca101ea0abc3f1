"""Large-leap rate: melodic intervals wider than an octave."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import Chorale
from deepchorale.evaluation.metrics.mean_melodic_interval import melodic_intervals

OCTAVE = 12


def large_leap_rate(chorale: Chorale) -> float:
    """Share of melodic intervals (consecutive notes of one voice, all voices) wider than an octave.

    An octave leap itself is allowed (Bach's basses use it often); anything wider is not. NaN
    without any interval.

    Source: the voice-leading rule that a vocal line does not leap beyond an octave, e.g. Aldwell &
    Schachter, *Harmony and Voice Leading*; Huron, "Tone and Voice", Music Perception 2001.
    """
    _, interval = melodic_intervals(chorale)
    return float(np.mean(np.abs(interval) > OCTAVE)) if interval.size else float(np.nan)
