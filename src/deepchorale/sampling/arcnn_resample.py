"""DeepComposer's AR-CNN inference: edit a piano roll one pixel at a time.

AWS DeepComposer (2020), `ar-cnn/inference.py` in aws-samples/aws-deepcomposer-samples. The AR-CNN
is trained to point at the pixels of a roll that differ from real music (`models/arcnn.py`), so
generation is a walk of edit events: run the net, draw ONE pixel from the softmax over all pixels
(temperature = DeepComposer's "creative risk"), flip it (add the note if it is off, remove it if
it is on), repeat for `iterations` ("sampling iterations"). Two quotas, counted against the input
roll, keep the result an edit of the user's music rather than a new piece: at most
`max_notes_to_add` notes that the input did not have ("maximum notes to add"), and at most
`max_remove_fraction` of the input's notes gone ("maximum % of input notes to remove").

A flip that would break a quota is excluded before drawing, as DeepComposer does, rather than drawn
and then refused; undoing an earlier edit (re-adding a removed input note, removing an added note)
is always allowed and gives its quota back. DeepComposer checks the addition quota with `>` and so
allows one note too many; here the quotas are exact. The roll is batched, every draw comes from
`generator`, and an optional `editable` mask pins pixels (a given melody, padding past a piece's end).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from deepchorale.sampling.draws import uniform

# roll (B, T, P) float in {0, 1} -> logits (B, T, P), one score per pixel
ModelFn = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class ResampleSettings:
    """DeepComposer's four knobs. No defaults here: users get `conf/sampler/arcnn.yaml`'s."""

    max_notes_to_add: int
    max_remove_fraction: float
    iterations: int  # sampling iterations, one pixel each
    temperature: float  # "creative risk"; 0 = greedy


def allowed_flips(current: Tensor, original: Tensor, max_add: Tensor, max_remove: Tensor) -> Tensor:
    """(B, N) True where flipping the pixel keeps both quotas; rolls are flattened (B, N) bools.

    A pixel that still has its input value would become a new edit: an addition if it is off, a
    removal if it is on. A pixel already edited can always be flipped back.
    """
    added = (current & ~original).sum(1, keepdim=True)
    removed = (~current & original).sum(1, keepdim=True)
    new_addition = ~current & ~original
    new_removal = current & original
    return ~((new_addition & (added >= max_add)) | (new_removal & (removed >= max_remove)))


@torch.no_grad()
def resample(
    model_fn: ModelFn,
    roll: Tensor,
    *,
    iterations: int,
    max_notes_to_add: int,
    max_remove_fraction: float,
    temperature: float,
    generator: torch.Generator | None,
    editable: Tensor | None = None,
) -> Tensor:
    """(B, T, P) roll after `iterations` single-pixel edits drawn from the model; same dtype as `roll`.

    `temperature` 0 takes the most likely pixel each time (greedy). `editable`, broadcastable to the
    roll, marks the pixels that may change. A window with no allowed flip left is not changed.
    """
    if temperature < 0:
        raise ValueError("temperature must be >= 0")
    batch = roll.shape[0]
    original = roll.bool().reshape(batch, -1)
    current = original.clone()
    max_add = torch.full((batch, 1), max_notes_to_add, device=roll.device)
    # As DeepComposer: the removal quota is a whole number of the input's notes, rounded down.
    max_remove = (max_remove_fraction * original.sum(1, keepdim=True)).floor()
    if editable is not None:
        editable = torch.broadcast_to(editable.bool(), roll.shape).reshape(batch, -1)
    rows = torch.arange(batch, device=roll.device)
    for _ in range(iterations):
        logits = model_fn(current.view(roll.shape).to(roll.dtype)).float().reshape(batch, -1)
        allowed = allowed_flips(current, original, max_add, max_remove)
        if editable is not None:
            allowed &= editable
        if temperature > 0:
            # Gumbel-max: argmax(logits / T + Gumbel noise) is a draw from softmax(logits / T).
            noise = uniform(tuple(logits.shape), generator, roll.device).clamp_(min=torch.finfo().tiny)
            logits = logits / temperature - torch.log(-torch.log(noise))
        choice = logits.masked_fill(~allowed, -torch.inf).argmax(1)
        current[rows, choice] ^= allowed.any(1)
    return current.view(roll.shape).to(roll.dtype)
