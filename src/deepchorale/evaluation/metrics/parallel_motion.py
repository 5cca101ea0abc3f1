"""Parallel perfect intervals between consecutive chords, the rule behind parallel fifths and octaves."""

from __future__ import annotations

from itertools import combinations

import numpy as np

from deepchorale.data.chorale import REST, Chorale
from deepchorale.evaluation.metrics.grid import chord_changes

VOICE_PAIRS = np.array(list(combinations(range(4), 2)))  # (6, 2): S-A, S-T, S-B, A-T, A-B, T-B


def parallel_motion_rate(chorale: Chorale, interval_class: int) -> float:
    """Parallel motions in `interval_class` (semitones mod 12) per chord transition.

    A transition is a pair of consecutive chords of `grid.chord_changes` (distinct verticalities
    with at least two voices sounding). A voice pair moves in parallel at the transition when both
    voices sound in both chords, both change pitch in the same direction, and the distance between
    them, |upper − lower| mod 12 (so compound intervals and crossed voices included), equals
    `interval_class` in both chords. Every voice pair counts separately (six pairs), and the total
    is divided by the number of transitions. NaN with fewer than two chords.
    """
    chords = chord_changes(chorale).astype(np.int64)
    if chords.shape[1] < 2:
        return float(np.nan)
    before, after = chords[:, :-1], chords[:, 1:]
    upper, lower = VOICE_PAIRS[:, 0], VOICE_PAIRS[:, 1]
    sounds = (before != REST) & (after != REST)
    direction = np.sign(after - before)
    same_direction = (direction[upper] == direction[lower]) & (direction[upper] != 0)
    in_class_before = np.abs(before[upper] - before[lower]) % 12 == interval_class
    in_class_after = np.abs(after[upper] - after[lower]) % 12 == interval_class
    parallel = sounds[upper] & sounds[lower] & same_direction & in_class_before & in_class_after
    return float(parallel.sum() / (chords.shape[1] - 1))
