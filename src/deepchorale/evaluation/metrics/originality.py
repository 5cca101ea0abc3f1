"""Originality: how much of a piece is copied, transposed or not, from a reference set of chorales.

A piece's n-step windows (all four voices, n = 16 steps = one bar of 4/4 by default) are compared
with every n-step window of the reference set. Windows are made transposition-invariant by
expressing each pitch relative to the lowest pitch sounding in that window (rests kept as rests),
and only pitches are compared, not articulation: a copy that re-strikes a held note is still a
copy. Each window is hashed to 64 bits by a fixed random linear form (arithmetic mod 2^64), so an
index over the whole corpus is a sorted array and a lookup is one `np.searchsorted`; two distinct
windows collide with probability about 2^-64.

Sources: copy detection against the training corpus, as in Yin, Reuben, Stepney, Collins, "'A Good
Algorithm Does Not Steal - It Imitates': The Originality Report as a Means of Measuring When a
Music Generation Algorithm Copies Too Much", EvoMUSART 2021, and the plagiarism analysis (longest
subsequence shared with the training set) of Hadjeres, Pachet, Nielsen, "DeepBach", ICML 2017.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from deepchorale.data.chorale import REST, Chorale

DEFAULT_WINDOW_STEPS = 16
REST_CODE = 128  # above any relative pitch (0-127)
HASH_SEED = 20240601


@cache
def _hash_weights(window_steps: int) -> np.ndarray:
    rng = np.random.default_rng(HASH_SEED)
    weights = rng.integers(0, np.iinfo(np.uint64).max, size=4 * window_steps, dtype=np.uint64, endpoint=True)
    return weights | np.uint64(1)


def window_hashes(pitches: np.ndarray, window_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """(hash, has_sound) for every window start 0..T-n of a (4, T) pitch array; empty if T < n.

    `has_sound` is False for a window in which nothing sounds: such windows are never shared.
    """
    if pitches.shape[1] < window_steps:
        return np.zeros(0, np.uint64), np.zeros(0, bool)
    windows = sliding_window_view(pitches.astype(np.int64), window_steps, axis=1).transpose(1, 0, 2)
    windows = windows.reshape(len(windows), -1)  # (W, 4n)
    rest = windows == REST
    lowest = np.where(rest, np.iinfo(np.int64).max, windows).min(axis=1, keepdims=True)
    has_sound = ~rest.all(axis=1)
    relative = np.where(rest, REST_CODE, windows - np.where(has_sound[:, None], lowest, 0))
    hashes = (relative.astype(np.uint64) * _hash_weights(window_steps)).sum(axis=1, dtype=np.uint64)
    return hashes, has_sound


class NgramIndex:
    """The set of transposition-invariant n-step four-voice windows of a reference set of chorales."""

    def __init__(self, hashes: np.ndarray, window_steps: int):
        self.hashes = np.unique(hashes)
        self.window_steps = window_steps

    @classmethod
    def build(cls, chorales: Iterable[Chorale], n: int = DEFAULT_WINDOW_STEPS) -> NgramIndex:
        all_hashes = []
        for chorale in chorales:
            hashes, has_sound = window_hashes(chorale.pitches, n)
            all_hashes.append(hashes[has_sound])
        return cls(np.concatenate(all_hashes) if all_hashes else np.zeros(0, np.uint64), n)

    def __len__(self) -> int:
        return self.hashes.size

    def shared_windows(self, chorale: Chorale) -> np.ndarray:
        """(T - n + 1,) bool: the window starting at each step also occurs in the reference set."""
        hashes, has_sound = window_hashes(chorale.pitches, self.window_steps)
        position = np.minimum(np.searchsorted(self.hashes, hashes), max(self.hashes.size - 1, 0))
        found = self.hashes[position] == hashes if self.hashes.size else np.zeros(hashes.size, bool)
        return found & has_sound

    def shared_share(self, chorale: Chorale) -> float:
        """Share of the piece's n-step windows (silent ones included) found in the reference set.

        NaN for a piece shorter than n steps.
        """
        shared = self.shared_windows(chorale)
        return float(shared.mean()) if shared.size else float(np.nan)

    def longest_shared(self, chorale: Chorale) -> int:
        """Length in steps of the longest passage all of whose n-step windows occur in the reference.

        k consecutive shared windows make a passage of k + n − 1 steps; 0 if no window is shared.
        """
        shared = np.concatenate([[False], self.shared_windows(chorale), [False]])
        edges = np.flatnonzero(np.diff(shared.astype(np.int8)))
        runs = edges[1::2] - edges[::2]
        return int(runs.max() + self.window_steps - 1) if runs.size else 0


def originality(chorale: Chorale, reference: NgramIndex) -> dict[str, float]:
    """{"shared_share", "longest_shared"} of `chorale` against `reference` (lower is more original)."""
    return {
        "shared_share": reference.shared_share(chorale),
        "longest_shared": float(reference.longest_shared(chorale)),
    }
