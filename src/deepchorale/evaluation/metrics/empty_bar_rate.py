"""Empty-bar rate, EB (Dong et al. 2018, MuseGAN), with the empty share it is meant to report."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import VOICES, Chorale
from deepchorale.evaluation.metrics.grid import bar_starts, sounding


def empty_bar_rate(chorale: Chorale) -> dict[str, float]:
    """Share of bars in which a voice never sounds, per voice, and in which no voice sounds ("all").

    A note held over a barline makes the next bar non-empty too. Bars are those of `grid` (a pickup
    bar and a short last bar count). NaN for a zero-step piece.

    Source: Dong, Hsiao, Yang, Yang, "MuseGAN", AAAI 2018, metric EB. MuseGAN's reference code
    (`reduce_mean(reduce_any(tensor > 0.5, ...))`), AWS DeepComposer's GAN notebook and pypianoroll
    return the share of NON-empty bars, the complement of the definition in the paper; this returns
    the empty share.
    """
    if chorale.num_steps == 0:
        return {name: float(np.nan) for name in (*VOICES, "all")}
    voice_sounds = np.logical_or.reduceat(sounding(chorale), bar_starts(chorale), axis=1)
    rates = {name: float(np.mean(~voice_sounds[v])) for v, name in enumerate(VOICES)}
    rates["all"] = float(np.mean(~voice_sounds.any(axis=0)))
    return rates
