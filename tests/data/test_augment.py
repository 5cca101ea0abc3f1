import numpy as np
import torch

from deepchorale.data.augment import (
    random_crop,
    random_transpose,
    tiled_crops,
    transposition_range,
    voice_ranges,
)
from deepchorale.data.chorale import REST


def test_transpositions_stay_in_every_voice_range(corpus, manifest, by_id):
    train = [by_id[id] for id in manifest["train"]]
    ranges = voice_ranges(train)
    torch.manual_seed(0)
    shifts = set()
    for chorale in train[:40]:
        for _ in range(5):
            moved = random_transpose(chorale, ranges)
            shifts.add(moved.key_tonic - chorale.key_tonic)
            for own, (low, high) in zip(moved.voice_ranges(), ranges):
                assert own is None or (low <= own[0] and own[1] <= high)
    assert len(shifts) > 6  # really transposes, in both directions


def test_transposition_range_is_tight(by_id):
    chorale = by_id["bwv269"]
    own = chorale.voice_ranges()
    low, high = transposition_range(chorale, own)
    assert (low, high) == (0, 0)
    low, high = transposition_range(chorale, [(lo - 2, hi + 3) for lo, hi in own])
    assert (low, high) == (-2, 3)


def test_random_crops_have_the_asked_length_and_alignment(by_id):
    chorale = by_id["bwv269"]
    torch.manual_seed(1)
    starts = set()
    for _ in range(50):
        window = random_crop(chorale, 64, align=4)
        assert window.num_steps == 64
        start = next(
            s
            for s in range(0, chorale.num_steps, 4)
            if np.array_equal(
                chorale.pitches[:, s : s + 64], window.pitches[:, : min(64, chorale.num_steps - s)]
            )
        )
        starts.add(start)
    assert len(starts) > 5
    short = random_crop(chorale, chorale.num_steps + 10)
    assert (short.pitches[:, -10:] == REST).all()


def test_tiled_crops_cover_every_step_once(by_id):
    chorale = by_id["bwv269"]
    windows = tiled_crops(chorale, 64)
    assert sum(valid for _, valid in windows) == chorale.num_steps
    joined = np.concatenate([w.pitches[:, :valid] for w, valid in windows], axis=1)
    assert np.array_equal(joined, chorale.pitches)
