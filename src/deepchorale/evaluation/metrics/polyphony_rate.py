"""Polyphony rate (Dong et al. 2018, MuseGAN; as in MusPy)."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import Chorale
from deepchorale.evaluation.metrics.grid import distinct_pitches_per_step


def polyphony_rate(chorale: Chorale, threshold: int = 2) -> float:
    """Share of all steps (silent ones included) with more than `threshold` distinct pitches sounding.

    With the default threshold 2, a step counts when at least three different pitches sound.
    NaN for an empty (zero-step) piece.

    Source: Dong, Hsiao, Yang, Yang, "MuseGAN: Multi-track Sequential Generative Adversarial
    Networks for Symbolic Music Generation and Accompaniment", AAAI 2018; `muspy.polyphony_rate`.
    """
    if chorale.num_steps == 0:
        return float(np.nan)
    pitches_per_step = distinct_pitches_per_step(chorale)
    return float(np.mean(pitches_per_step > threshold))
