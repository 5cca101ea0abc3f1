"""Pitch-class entropy (Wu & Yang 2020; as in MusPy)."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import Chorale
from deepchorale.evaluation.metrics.grid import notes


def pitch_class_entropy(chorale: Chorale) -> float:
    """Shannon entropy, in bits, of the pitch-class histogram of the notes (each note counted once).

    0 for a piece on one pitch class, log2(12) ≈ 3.585 for all twelve equally often; NaN without notes.

    Source: Wu & Yang, "The Jazz Transformer on the Front Line: Exploring the Shortcomings of
    AI-composed Music through Quantitative Measures", ISMIR 2020; `muspy.pitch_class_entropy`.
    """
    pitch_classes = notes(chorale).pitch % 12
    if pitch_classes.size == 0:
        return float(np.nan)
    probabilities = np.bincount(pitch_classes, minlength=12) / pitch_classes.size
    probabilities = probabilities[probabilities > 0]
    return float(-(probabilities * np.log2(probabilities)).sum())
