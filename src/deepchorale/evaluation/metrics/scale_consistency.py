"""Scale consistency (Mogren 2016, C-RNN-GAN; as in MusPy)."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import Chorale
from deepchorale.evaluation.metrics.grid import notes

MAJOR_SCALE = np.array([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1], bool)
NATURAL_MINOR_SCALE = np.array([1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0], bool)
SCALES = np.stack([np.roll(s, root) for s in (MAJOR_SCALE, NATURAL_MINOR_SCALE) for root in range(12)])


def scale_consistency(chorale: Chorale) -> float:
    """Max over the 24 major and natural-minor scales of the share of notes whose pitch class is in it.

    Notes are counted once each, whatever their length. A natural minor scale holds the same pitch
    classes as its relative major, so the harmonic minor's raised leading tone counts as out of
    scale (this is why Bach scores about 0.93 rather than 1). NaN for a piece without notes.

    Source: Mogren, "C-RNN-GAN: Continuous recurrent neural networks with adversarial training",
    NeurIPS Constructive Machine Learning Workshop 2016; Dong et al., "MusPy", ISMIR 2020
    (`muspy.scale_consistency`).
    """
    pitch_classes = notes(chorale).pitch % 12
    if pitch_classes.size == 0:
        return float(np.nan)
    histogram = np.bincount(pitch_classes, minlength=12)
    return float((SCALES @ histogram).max() / pitch_classes.size)
