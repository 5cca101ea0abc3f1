import math

import pytest
import torch

from deepchorale.training.arcnn_objective import corrupt, softmax_kl_loss
from tests.models.test_arcnn import real_batch


def test_kl_is_normalised_per_window_by_hand():
    # Two windows of 1 step x 3 pitches and a padding step with huge logits that must not count.
    logits = torch.tensor([[[0.0, 1.0, 2.0], [50.0, 50.0, 50.0]], [[0.0, 0.0, 0.0], [50.0, 50.0, 50.0]]])
    target = torch.tensor([[[1.0, 0.0, 1.0], [0, 0, 0]], [[0.0, 1.0, 0.0], [0, 0, 0]]])
    corrupted = torch.tensor([[[1.0, 1.0, 0.0], [0, 0, 0]], [[1.0, 1.0, 0.0], [0, 0, 0]]])
    valid = torch.tensor([[True, False], [True, False]])
    # Window 0 differs at pitches 1 and 2, window 1 at pitch 0.
    log_q0 = [v - math.log(1 + math.e + math.e**2) for v in (0.0, 1.0, 2.0)]
    kl0 = -math.log(2) - (log_q0[1] + log_q0[2]) / 2
    kl1 = -math.log(1) - math.log(1 / 3)
    loss = softmax_kl_loss(logits, corrupted, target, valid)
    assert loss.item() == pytest.approx((kl0 + kl1) / 2, rel=1e-6)
    # The reference's loss: one softmax over all 6 valid pixels, uniform over the 3 differing ones.
    flat = torch.tensor([0.0, 1.0, 2.0, 0.0, 0.0, 0.0])
    log_q = flat - torch.logsumexp(flat, 0)
    batch_kl = -math.log(3) - (log_q[1] + log_q[2] + log_q[3]).item() / 3
    assert abs(loss.item() - batch_kl) > 0.05
    # A window with nothing to fix has no target and is left out, not counted as zero.
    clean = softmax_kl_loss(logits, torch.cat([corrupted[:1], target[1:]]), target, valid)
    assert clean.item() == pytest.approx(kl0, rel=1e-6)


def test_corruption_stays_within_its_fractions(corpus):
    batch = real_batch(corpus, 8, 64, valid_steps=50)
    roll, valid = batch["pianoroll"], batch["valid"]
    inside = valid.unsqueeze(-1).expand(roll.shape)
    notes = roll.flatten(1).sum(1)
    empty = ((roll == 0) & inside).flatten(1).sum(1)
    generator = torch.Generator().manual_seed(0)
    removed_shares = []
    for _ in range(20):
        corrupted = corrupt(roll, valid, (0.0, 0.3), (0.01, 0.015), generator)
        removed = ((roll == 1) & (corrupted == 0)).flatten(1).sum(1)
        added = ((roll == 0) & (corrupted == 1)).flatten(1).sum(1)
        assert (removed <= torch.floor(0.3 * notes)).all()
        assert (added >= torch.floor(0.01 * empty)).all() and (added <= torch.floor(0.015 * empty)).all()
        assert not corrupted[~inside].any()
        removed_shares.append(removed / notes)
    shares = torch.cat(removed_shares)
    assert shares.min() < 0.05 and shares.max() > 0.25  # spread over the whole range
    fixed = corrupt(roll, valid, (0.2, 0.2), (0.0, 0.0), generator)
    assert torch.equal(((roll == 1) & (fixed == 0)).flatten(1).sum(1), torch.floor(0.2 * notes))
