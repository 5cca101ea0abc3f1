"""Scoring pieces with the judge: windows, batching, pooling, DeepComposer's combined score."""

from __future__ import annotations

import numpy as np
import pytest

from deepchorale.data.chorale import chorale_from_pitches
from deepchorale.judge.negatives import random_chords
from deepchorale.judge.net import JudgeNet
from deepchorale.judge.scoring import (
    combined_score,
    judge_embeddings,
    judge_probabilities,
    judge_probability,
    judge_score,
    ks_pitch_distance,
    pitch_histogram,
    window_starts,
)
from tests.judge.test_net import TINY_NET


def test_window_starts_cover_the_piece_and_end_with_it():
    assert window_starts(20, 64, 32) == [0]
    assert window_starts(160, 64, 32) == [0, 32, 64, 96]
    assert window_starts(170, 64, 32) == [0, 32, 64, 96, 106]


def test_scores_pieces_of_any_length_batched_as_one_by_one(manifest, by_id):
    net = JudgeNet(**TINY_NET)
    bach = [by_id[id] for id in manifest["val"][:3]]
    short = bach[0].crop(0, 20)  # shorter than a window: padded, masked out of the pooling
    pieces = [short, *bach, *random_chords([100], np.random.default_rng(0))]
    together = judge_probabilities(net, pieces)
    alone = [judge_probability(net, piece) for piece in pieces]
    assert np.allclose(together, alone, atol=1e-2) and np.all((together > 0) & (together < 1))
    assert judge_score(net, short) == pytest.approx(100 * alone[0])
    assert judge_embeddings(net, pieces).shape == (5, 32)
    assert net.training  # scoring leaves the net's mode as it was


def test_ks_pitch_distance_and_combined_score(manifest, by_id):
    bach = [by_id[id] for id in manifest["train"][:20]]
    reference = pitch_histogram(bach)
    assert reference.sum() == pytest.approx(1.0)
    high = chorale_from_pitches("high", np.full((4, 16), 100))
    assert ks_pitch_distance(high, pitch_histogram([high])) == 0.0
    assert ks_pitch_distance(high, reference) == pytest.approx(1.0)
    assert ks_pitch_distance(bach[0], reference) < 0.3
    net = JudgeNet(**TINY_NET)
    score = combined_score(net, bach[0], reference)
    probability = judge_probability(net, bach[0])
    assert score == pytest.approx(50 * probability + 50 * (1 - ks_pitch_distance(bach[0], reference)))
