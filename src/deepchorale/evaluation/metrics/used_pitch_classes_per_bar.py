"""Used pitch classes per bar, UPC (Dong et al. 2018, MuseGAN)."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import VOICES, Chorale
from deepchorale.evaluation.metrics.grid import bar_starts, pitch_class_roll


def used_pitch_classes_per_bar(chorale: Chorale) -> dict[str, float]:
    """Mean number of distinct pitch classes sounding in a bar, over the bars where something sounds.

    Per voice, and for the four voices together ("all", the harmonic content of the bar). A voice's
    empty bars are left out of its mean (they are what the empty-bar rate measures); NaN for a voice
    that never sounds.

    Source: Dong et al., "MuseGAN", AAAI 2018, metric UPC (their training data: 1.7-3.4 per track).
    """
    per_bar = np.logical_or.reduceat(pitch_class_roll(chorale.pitches), bar_starts(chorale), axis=1)
    groups = {name: per_bar[v] for v, name in enumerate(VOICES)} | {"all": per_bar.any(axis=0)}
    used = {}
    for name, bars in groups.items():
        counts = bars.sum(axis=-1)
        used[name] = float(counts[counts > 0].mean()) if counts.any() else float(np.nan)
    return used
