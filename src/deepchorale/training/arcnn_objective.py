"""The AR-CNN's training objective: corrupt a real piano roll, then score the net's edit distribution.

AWS DeepComposer (2020), `ar-cnn/augmentation.py` and `losses.py` in
aws-samples/aws-deepcomposer-samples. The net (`models/arcnn.py`, whose docstring lists where we
differ from the reference on purpose) sees a roll with a random share of its notes removed and
random notes added, and is asked for a softmax over pixels that is uniform on the pixels that
differ from the original.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from deepchorale.sampling.draws import uniform


def corrupt(
    roll: Tensor,
    valid: Tensor,
    remove: tuple[float, float],
    add: tuple[float, float],
    generator: torch.Generator | None = None,
) -> Tensor:
    """(B, T, P) roll with floor(r * notes) notes removed and floor(a * empty pixels) random notes added.

    r ~ U[remove] and a ~ U[add] per window; pixels are chosen uniformly without replacement, only
    on valid steps. The reference draws r from 0-100 % and a from 1-1.5 % of the EMPTY pixels: a
    128 x 128 roll of four voices has ~500 notes and ~15,900 empty pixels, so ~160-240 wrong notes
    appear next to however many are removed.
    """
    batch = roll.shape[0]
    inside = valid.unsqueeze(-1).expand(roll.shape).reshape(batch, -1)
    on = roll.bool().reshape(batch, -1) & inside
    empty = ~on & inside
    notes, empties = on.sum(1, keepdim=True), empty.sum(1, keepdim=True)

    def fraction(bounds: tuple[float, float]) -> Tensor:
        return bounds[0] + (bounds[1] - bounds[0]) * uniform((batch, 1), generator, roll.device)

    removals = (fraction(remove) * notes).floor()
    additions = (fraction(add) * empties).floor()
    # One sort ranks every window's notes first and its empty pixels next, each group in random
    # order; the lowest ranks of each group are the pixels to flip.
    keys = uniform(tuple(on.shape), generator, roll.device) + 2.0 * empty + 4.0 * ~inside
    order = keys.argsort(1)
    ranks = torch.empty_like(order).scatter_(
        1, order, torch.arange(on.shape[1], device=roll.device).expand_as(order)
    )
    removed = ranks < removals
    added = (ranks >= notes) & (ranks < notes + additions)
    return ((on & ~removed) | added).view(roll.shape).to(roll.dtype)


def softmax_kl_loss(logits: Tensor, corrupted: Tensor, target: Tensor, valid: Tensor) -> Tensor:
    """Mean over windows of KL(uniform on the differing pixels || softmax over the window's pixels).

    With D differing pixels, KL = -log D - mean over them of log softmax. Windows with nothing to
    fix (D = 0) have no target distribution and are left out.
    """
    batch = logits.shape[0]
    inside = valid.unsqueeze(-1).expand(logits.shape).reshape(batch, -1)
    diff = (corrupted.bool() != target.bool()).reshape(batch, -1) & inside
    log_q = F.log_softmax(logits.float().reshape(batch, -1).masked_fill(~inside, -torch.inf), dim=1)
    count = diff.sum(1)
    kl = -torch.log(count.clamp(min=1)) - torch.where(diff, log_q, 0.0).sum(1) / count.clamp(min=1)
    scored = count > 0
    return (kl * scored).sum() / scored.sum().clamp(min=1)
