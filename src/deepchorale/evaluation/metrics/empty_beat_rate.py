"""Empty-beat rate (Dong et al. 2018, Pypianoroll; as in MusPy, without their off-by-ones)."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import Chorale
from deepchorale.evaluation.metrics.grid import beat_starts, sounding


def empty_beat_rate(chorale: Chorale) -> float:
    """Share of quarter-note beats in which no voice sounds at any step (the EMPTY share).

    Beats are aligned to the first downbeat (see `grid`); a short beat at either end counts.
    NaN for a zero-step piece.

    Source: Dong, Hsiao, Yang, "Pypianoroll: Open Source Python Package for Handling Multitrack
    Pianorolls", ISMIR 2018 late-breaking demo; `muspy.empty_beat_rate`. Pypianoroll 1.0.4 returns
    the non-empty share (inverted); MusPy 0.5 marks the beat after a note that ends exactly on a
    beat line as sounding and adds a spurious beat when the piece ends on a beat line.
    """
    if chorale.num_steps == 0:
        return float(np.nan)
    any_voice = sounding(chorale).any(axis=0)
    beat_sounds = np.logical_or.reduceat(any_voice, beat_starts(chorale))
    return float(np.mean(~beat_sounds))
