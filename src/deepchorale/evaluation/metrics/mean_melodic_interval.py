"""Mean melodic interval per voice: how far each voice moves from note to note."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import VOICES, Chorale
from deepchorale.evaluation.metrics.grid import notes


def melodic_intervals(chorale: Chorale) -> tuple[np.ndarray, np.ndarray]:
    """(voice, interval in semitones) of every pair of consecutive notes of one voice.

    Consecutive means the next note of the same voice, across a rest if there is one; a repeated
    note is an interval of 0.
    """
    found = notes(chorale)
    same_voice = found.voice[1:] == found.voice[:-1]
    return found.voice[1:][same_voice], np.diff(found.pitch)[same_voice]


def mean_melodic_interval(chorale: Chorale) -> dict[str, float]:
    """Mean absolute interval, in semitones, between consecutive notes of each voice.

    NaN for a voice with fewer than two notes. Chorale voices move mostly by step (inner voices
    least), so large values mean a jumpy, unsingable line.

    Source: the stepwise-motion norm of voice leading (Huron, "Tone and Voice: A Derivation of the
    Rules of Voice-Leading from Perceptual Principles", Music Perception 19(1), 2001; pitch-interval
    features as in Yang & Lerch, "On the evaluation of generative models in music", Neural
    Computing and Applications, 2018).
    """
    voice, interval = melodic_intervals(chorale)
    means = {}
    for v, name in enumerate(VOICES):
        in_voice = np.abs(interval[voice == v])
        means[name] = float(in_voice.mean()) if in_voice.size else float(np.nan)
    return means
