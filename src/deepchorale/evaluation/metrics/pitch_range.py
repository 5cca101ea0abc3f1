"""Pitch range (Dong et al. 2020, MusPy)."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import REST, Chorale


def pitch_range(chorale: Chorale) -> float:
    """Highest minus lowest sounding MIDI pitch, in semitones, over all voices; NaN if nothing sounds.

    Source: Dong, Chen, Dubnov, McAuley, Berg-Kirkpatrick, "MusPy: A Toolkit for Symbolic Music
    Generation", ISMIR 2020 (`muspy.pitch_range`).
    """
    pitches = chorale.pitches[chorale.pitches != REST]
    return float(pitches.max() - pitches.min()) if pitches.size else float(np.nan)
