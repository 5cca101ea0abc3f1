"""Voice-crossing rate."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import REST, Chorale
from deepchorale.evaluation.metrics.parallel_motion import VOICE_PAIRS


def voice_crossing_rate(chorale: Chorale) -> float:
    """Share of steps with two or more voices sounding where some lower voice is above a higher one.

    All six voice pairs are checked (the alto above the soprano, the bass above the tenor, ...); a
    unison is not a crossing. NaN if two voices never sound together.

    Source: the SATB rule that voices keep their order (crossing only briefly, if at all), e.g.
    Aldwell & Schachter, *Harmony and Voice Leading*; Huron, "Tone and Voice", Music Perception
    19(1), 2001 (crossed parts lose their perceptual identity).
    """
    pitches = chorale.pitches
    upper, lower = pitches[VOICE_PAIRS[:, 0]], pitches[VOICE_PAIRS[:, 1]]
    crossed = (upper != REST) & (lower != REST) & (upper < lower)
    polyphonic = (pitches != REST).sum(axis=0) >= 2
    if not polyphonic.any():
        return float(np.nan)
    return float(crossed.any(axis=0)[polyphonic].mean())
