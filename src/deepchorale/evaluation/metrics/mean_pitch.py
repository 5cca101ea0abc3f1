"""Mean pitch: the register of the piece, a descriptor for emotional resonance."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import REST, Chorale


def mean_pitch(chorale: Chorale) -> float:
    """Mean MIDI pitch over all sounding (voice, step) cells, so duration-weighted; NaN in silence.

    A descriptor, not a quality score: higher register reads brighter, lower darker.

    Source: register as an emotional cue, Juslin & Laukka, "Communication of emotions in vocal
    expression and music performance", Psychological Bulletin 129(5), 2003; Gabrielsson & Lindström,
    "The role of structure in the musical expression of emotions", in *Handbook of Music and
    Emotion*, 2010.
    """
    sounding = chorale.pitches[chorale.pitches != REST]
    return float(sounding.mean()) if sounding.size else float(np.nan)
