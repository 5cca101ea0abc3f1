"""Training-time augmentation: transposition that keeps every voice in its range, random crops.

DeepBach (Hadjeres et al., 2017) trains on every transposition that stays within the voices'
ranges; Coconet (Huang et al., 2017) trains on random crops (64 16th steps). Randomness comes
from torch's global generator, which Lightning seeds per run and per dataloader worker.
"""

from __future__ import annotations

import torch

from deepchorale.data.chorale import Chorale

VoiceRanges = list[tuple[int, int]]


def voice_ranges(chorales: list[Chorale]) -> VoiceRanges:
    """(lowest, highest) pitch of each voice over a set of chorales."""
    per_piece = [c.voice_ranges() for c in chorales]
    return [
        (min(r[v][0] for r in per_piece if r[v]), max(r[v][1] for r in per_piece if r[v])) for v in range(4)
    ]


def transposition_range(chorale: Chorale, ranges: VoiceRanges) -> tuple[int, int]:
    """The lowest and highest shift (semitones) that keeps every voice inside `ranges`."""
    low, high = -127, 127
    for own, (range_low, range_high) in zip(chorale.voice_ranges(), ranges):
        if own is not None:
            low, high = max(low, range_low - own[0]), min(high, range_high - own[1])
    if low > high:
        return 0, 0  # the piece itself exceeds the ranges: leave it where it is
    return low, high


def random_transpose(chorale: Chorale, ranges: VoiceRanges) -> Chorale:
    low, high = transposition_range(chorale, ranges)
    return chorale.transpose(int(torch.randint(low, high + 1, ()).item()))


def random_crop(chorale: Chorale, length: int, align: int = 1) -> Chorale:
    """A window of `length` steps starting on a multiple of `align`; short pieces are padded with rests."""
    latest = max(0, chorale.num_steps - length) // align
    start = int(torch.randint(0, latest + 1, ()).item()) * align
    return chorale.crop(start, length)


def tiled_crops(chorale: Chorale, length: int) -> list[tuple[Chorale, int]]:
    """Non-overlapping windows covering the piece, with the number of real (unpadded) steps in each."""
    return [
        (chorale.crop(start, length), min(length, chorale.num_steps - start))
        for start in range(0, chorale.num_steps, length)
    ]
