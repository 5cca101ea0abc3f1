"""Groove consistency (Wu & Yang 2020; as in MusPy)."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import Chorale
from deepchorale.evaluation.metrics.grid import complete_bars


def groove_consistency(chorale: Chorale) -> float:
    """1 − mean Hamming distance between consecutive bars' onset patterns, divided by the bar length.

    A bar's onset pattern is the binary vector over its steps that is 1 where any voice starts a
    note. Only complete bars are compared (no pickup or short last bar); NaN with fewer than two.
    1.0 means every bar has the same rhythm.

    Source: Wu & Yang, "The Jazz Transformer on the Front Line", ISMIR 2020;
    `muspy.groove_consistency` (which pads a last partial bar with silence instead of dropping it).
    """
    patterns = complete_bars(chorale.onsets.any(axis=0), chorale)
    if len(patterns) < 2:
        return float(np.nan)
    return float(1.0 - np.mean(patterns[1:] != patterns[:-1]))
