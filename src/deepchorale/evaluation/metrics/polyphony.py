"""Polyphony (Dong et al. 2020, MusPy)."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import Chorale
from deepchorale.evaluation.metrics.grid import distinct_pitches_per_step


def polyphony(chorale: Chorale) -> float:
    """Mean number of distinct sounding pitches over the steps where at least one pitch sounds.

    Voices in unison count once (a merged piano roll's view), as in MusPy; a full four-voice texture
    without unisons scores 4. NaN if nothing sounds.

    Source: Dong et al., "MusPy", ISMIR 2020 (`muspy.polyphony`).
    """
    pitches_per_step = distinct_pitches_per_step(chorale)
    active = pitches_per_step > 0
    return float(pitches_per_step[active].mean()) if active.any() else float(np.nan)
