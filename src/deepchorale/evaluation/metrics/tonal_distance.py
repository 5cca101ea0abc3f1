"""Tonal distance, TD (Dong et al. 2018, MuseGAN), on Harte et al.'s (2006) tonal centroids."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import Chorale
from deepchorale.evaluation.metrics.grid import bar_starts, pitch_class_roll


def _tonal_centroid_basis() -> np.ndarray:
    """(6, 12): pitch class -> circle of fifths, of minor thirds, of major thirds (sin, cos each)."""
    pitch_class = np.arange(12)
    radii_and_angles = ((1.0, 7 * np.pi / 6), (1.0, 3 * np.pi / 2), (0.5, 2 * np.pi / 3))
    rows = []
    for radius, angle in radii_and_angles:
        rows += [radius * np.sin(pitch_class * angle), radius * np.cos(pitch_class * angle)]
    return np.stack(rows)


TONAL_CENTROID_BASIS = _tonal_centroid_basis()
VOICE_GROUPS = {
    "melody_accompaniment": ((0,), (1, 2, 3)),  # soprano vs alto + tenor + bass
    "upper_lower": ((0, 1), (2, 3)),  # soprano + alto vs tenor + bass
}


def tonal_distance(chorale: Chorale) -> dict[str, float]:
    """Mean over bars of the distance between the tonal centroids of two voice groups.

    A group's chroma in a bar is the number of steps each pitch class sounds in its voices
    (duration-weighted, as MuseGAN sums its piano roll over the bar). Its tonal centroid is the
    6-D vector `basis @ chroma / sum(chroma)` of Harte et al. (radii 1, 1, 0.5 for the circles of
    fifths, minor thirds and major thirds); TD is their Euclidean distance, from 0 (same harmony)
    up to at most 3. Bars where either group is silent are left out; NaN if none remains.

    Groups: MuseGAN compares pairs of instrument tracks; a chorale's voices are too thin one by one
    (two or three notes a bar, a melody rather than a harmony), so we compare two-voice-or-more
    groups: "melody_accompaniment", the soprano against the three lower voices (the split of the
    accompaniment task, where the melody is given and the rest generated), and "upper_lower",
    soprano + alto against tenor + bass (the two staves of a chorale score).

    Sources: Harte, Sandler, Gasser, "Detecting Harmonic Change in Musical Audio", ACM Audio and
    Music Computing Multimedia Workshop 2006; Dong et al., "MuseGAN", AAAI 2018, metric TD.
    """
    per_bar = np.add.reduceat(pitch_class_roll(chorale.pitches), bar_starts(chorale), axis=1, dtype=np.int64)
    distances = {}
    for name, (first, second) in VOICE_GROUPS.items():
        chroma_a = per_bar[list(first)].sum(axis=0)
        chroma_b = per_bar[list(second)].sum(axis=0)
        both = (chroma_a.sum(axis=1) > 0) & (chroma_b.sum(axis=1) > 0)
        if not both.any():
            distances[name] = float(np.nan)
            continue
        centroid_a = chroma_a[both] / chroma_a[both].sum(axis=1, keepdims=True) @ TONAL_CENTROID_BASIS.T
        centroid_b = chroma_b[both] / chroma_b[both].sum(axis=1, keepdims=True) @ TONAL_CENTROID_BASIS.T
        distances[name] = float(np.linalg.norm(centroid_a - centroid_b, axis=1).mean())
    return distances
