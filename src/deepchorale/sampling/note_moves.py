"""Whole-note Gibbs moves for the notes that still move in parallel fifths or octaves.

Blocked Gibbs (`sampling.gibbs`) redraws cells, 16th steps, each given the others as they are.
A note is a run of cells, and changing one of them alone makes a 16th the model all but forbids,
so late in the chain, when a tenth of the cells are redrawn per step, a note that entered a
parallel is stuck there: the voice-leading prior charges the move into it, but no single-cell
proposal can leave it (the default 60 s track kept four such parallels at 12 nats each).

A note move hides a whole note and draws its one pitch from the product of what Coconet gives
each of its cells and the prior's energy there,

    p(pitch | rest) ∝ prod over the note's cells of p_model(cell = pitch | rest)^(1/temperature) · exp(−E),

the blocked-Gibbs step for a block that must hold one pitch (Coconet's cells are conditionally
independent given the context, so their log-probabilities add). The moves run per lower voice,
alternate notes at a time, so that no note is drawn beside a neighbour being drawn too.

The notes moved are a few here and there, so with the model's receptive field given (`radius`,
steps each side that can change a cell's logits) the model reads only the stretches of the piece
around them: the same logits there, at a fraction of a whole-piece pass.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from deepchorale.data.convert import ONEHOT_LOW
from deepchorale.sampling.draws import uniform
from deepchorale.sampling.voice_leading import VoiceLeadingPrior, parallel_cells

# (onehot-ready state (B, 4, T), block mask (B, 4, T)) -> logits (B, 4, T, 46)
Logits = Callable[[Tensor, Tensor], Tensor]


def note_ids(state: Tensor) -> Tensor:
    """(B, 4, T) the index of the note each cell belongs to within its voice: a note is a run of one
    pitch (rests are runs too)."""
    changes = torch.ones_like(state, dtype=torch.long)
    changes[..., 1:] = (state[..., 1:] != state[..., :-1]).long()
    return changes.cumsum(-1) - 1


def block_logits(logits_of: Logits, state: Tensor, block: Tensor, radius: int | None) -> Tensor:
    """`logits_of(state, block)` at the cells of `block` (elsewhere: zeros with `radius`), computed
    with `radius` on crops: each run of block steps less than 2 `radius` apart, `radius` steps of
    the piece either side. A crop's edge is then either the piece's own or `radius` steps from
    every cell read, so a model whose receptive field is `radius` gives these cells the very logits
    a whole-piece pass would."""
    steps = block.flatten(0, 1).any(0).nonzero().flatten().tolist()
    if radius is None or not steps:
        return logits_of(state, block)
    length = state.shape[-1]
    runs = [[steps[0], steps[0]]]
    for step in steps[1:]:
        if step - runs[-1][1] < 2 * radius:
            runs[-1][1] = step
        else:
            runs.append([step, step])
    logits = None
    for first, last in runs:
        low, high = max(first - radius, 0), min(last + radius + 1, length)
        crop = logits_of(state[..., low:high], block[..., low:high])
        if logits is None:
            logits = crop.new_zeros((*state.shape, crop.shape[-1]))
        logits[..., first : last + 1, :] = crop[..., first - low : last + 1 - low, :]
    return logits


def parallel_note_moves(
    logits_of: Logits,
    state: Tensor,
    mask: Tensor,
    prior: VoiceLeadingPrior,
    temperature: float,
    generator: torch.Generator | None,
    radius: int | None = None,
) -> Tensor:
    """`state` with every generated note that moves in parallels redrawn whole (one model call per
    lower voice and note parity that has such a note, on the stretches around them with `radius`,
    the model's receptive field); other cells are untouched."""
    for voice in range(1, state.shape[1]):
        for parity in (0, 1):
            ids = note_ids(state)
            offending = parallel_cells(state) & mask
            offending[:, torch.arange(state.shape[1]) != voice] = False
            offending &= ids % 2 == parity
            if not offending.any():
                continue
            # The whole notes holding an offending cell, where every cell of them is generated.
            chosen = torch.zeros_like(offending)
            for batch, _, step in offending.nonzero().tolist():
                note = ids[batch, voice] == ids[batch, voice, step]
                if bool(mask[batch, voice][note].all()):
                    chosen[batch, voice] |= note
            if chosen.any():
                state = _redraw_notes(logits_of, state, chosen, prior, temperature, generator, radius)
    return state


def _redraw_notes(
    logits_of: Logits,
    state: Tensor,
    block: Tensor,
    prior: VoiceLeadingPrior,
    temperature: float,
    generator: torch.Generator | None,
    radius: int | None,
) -> Tensor:
    logits = block_logits(logits_of, state, block, radius)
    scores = torch.log_softmax(logits.float() / temperature, -1) - prior.penalty(state)
    ids = note_ids(state)
    notes = []  # (batch, voice, the note's cells)
    for batch, voice in block.any(-1).nonzero().tolist():
        for note in ids[batch, voice][block[batch, voice]].unique().tolist():
            notes.append((batch, voice, block[batch, voice] & (ids[batch, voice] == note)))
    gumbel = -torch.log(-torch.log(uniform((len(notes), scores.shape[-1]), generator, state.device)))
    state = state.clone()
    for (batch, voice, cells), noise in zip(notes, gumbel):
        pitch = int((scores[batch, voice][cells].sum(0) + noise).argmax()) + ONEHOT_LOW
        state[batch, voice][cells] = pitch
    return state
