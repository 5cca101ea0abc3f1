"""Reads the lower voices from per-step pitch distributions: the likeliest lines under priors
measured on Bach's chorales.

A net that predicts every 16th step's pitch at once (the GAN's one pass) changes its mind from cell
to cell, and each change becomes an onset: read cell by cell, its inner voices change pitch on a
fifth of the 16ths between 8ths, where Bach's almost never do (`BACH_CHANGE_RATES`). Reading each
voice alone under a duration prior cures the stutter but lets the voices move together into
parallels. `decode_lines` therefore reads the three lines jointly: the hidden state at a step is one
of each voice's few likeliest pitches there; a transition is charged what `LinePriors` says (the
log-chance of changing pitch at that place in the beat, the rarity of the leap, each parallel fifth
or octave with any voice, the soprano included) and a state gains for a triad; Viterbi's algorithm
returns the likeliest sequence of states (Rabiner 1989, "A tutorial on hidden Markov models",
section III.B). The net still chooses among its own pitches; the priors decide when a line leaves
one and which pitches go together.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from deepchorale.data.chords import chord_roots

BEAT_STEPS = 4  # 16th steps per quarter-note beat; step 0 of a piece is on a beat (a quarter's pickup)

# Share of steps at which a voice's pitch (or rest) differs from the step before, by the step's
# place in the beat (on the beat, 2nd 16th, 8th, 4th 16th): alto, tenor, bass over the training
# split (324 chorales). `change_rates` measures them; tests/sampling/test_line_decoding.py checks
# these figures against the split.
BACH_CHANGE_RATES = (
    (0.605, 0.003, 0.222, 0.019),
    (0.650, 0.003, 0.232, 0.023),
    (0.829, 0.000, 0.270, 0.003),
)
# Share of a voice's pitch changes (between sounding notes) that move by 1, 2, ..., 12 semitones,
# and by more: alto, tenor, bass over the training split (`interval_shares`).
BACH_INTERVAL_SHARES = (
    (0.3392, 0.4558, 0.0402, 0.0638, 0.0688, 0.0013, 0.0203, 0.0039, 0.0041, 0.0003, 0.0000, 0.0023, 0.0001),
    (0.2855, 0.4725, 0.0508, 0.0432, 0.0833, 0.0063, 0.0414, 0.0052, 0.0067, 0.0003, 0.0000, 0.0049, 0.0000),
    (0.2679, 0.3822, 0.0398, 0.0373, 0.1211, 0.0065, 0.0868, 0.0050, 0.0048, 0.0025, 0.0014, 0.0432, 0.0015),
)
WIDEST = len(BACH_INTERVAL_SHARES[0])  # intervals above 12 semitones share the last entry
# A change the data never make at a place stays possible where the net insists: e^-9 per step.
RATE_FLOOR = 1e-4
CANDIDATES = 4  # pitches per voice and step the decoder weighs: 4^3 = 64 joint states
PERFECT_CLASSES = (0, 7)  # unison/octave, fifth (semitones mod 12)
IS_TRIAD = chord_roots("major triad", "minor triad", "diminished triad", "augmented triad") >= 0


def change_rates(pieces: list[np.ndarray], voices: slice = slice(1, 4)) -> np.ndarray:
    """(voices, BEAT_STEPS): over (4, T) pitch arrays, the share of steps at each place in the
    beat where a voice's pitch differs from the step before (a rest counts as a pitch)."""
    changes = np.zeros((len(range(4)[voices]), BEAT_STEPS))
    steps = np.zeros(BEAT_STEPS)
    for pitches in pieces:
        lines = np.asarray(pitches)[voices]
        changed = lines[:, 1:] != lines[:, :-1]
        place = np.arange(1, lines.shape[1]) % BEAT_STEPS
        for k in range(BEAT_STEPS):
            changes[:, k] += changed[:, place == k].sum(1)
            steps[k] += (place == k).sum()
    return changes / np.maximum(steps, 1)


def interval_shares(pieces: list[np.ndarray], voices: slice = slice(1, 4)) -> np.ndarray:
    """(voices, WIDEST): over (4, T) pitch arrays, the share of each voice's pitch changes between
    sounding notes that move by 1, 2, ... semitones (the last entry: by WIDEST or more)."""
    counts = np.zeros((len(range(4)[voices]), WIDEST))
    for pitches in pieces:
        for row, line in enumerate(np.asarray(pitches, dtype=np.int64)[voices]):
            before, after = line[:-1], line[1:]
            moved = (before >= 0) & (after >= 0) & (before != after)
            counts[row] += np.bincount(
                np.minimum(np.abs(after - before)[moved], WIDEST) - 1, minlength=WIDEST
            )
    return counts / np.maximum(counts.sum(1, keepdims=True), 1)


def parallels_between(before: Tensor, after: Tensor) -> Tensor:
    """(..., V) chords (MIDI pitches, -1 = rest) -> (...) voice pairs moving in the same direction
    from a perfect fifth or octave (any compound, crossed or not) to the same interval class, as
    `evaluation.metrics.parallel_motion` counts them."""
    upper, lower = torch.tensor(list(itertools.combinations(range(before.shape[-1]), 2))).T
    sounds = (before >= 0) & (after >= 0)
    motion = torch.sign(after - before)
    same_direction = (motion[..., upper] == motion[..., lower]) & (motion[..., upper] != 0)
    interval_before = (before[..., upper] - before[..., lower]).abs() % 12
    interval_after = (after[..., upper] - after[..., lower]).abs() % 12
    perfect = sum(interval_before == interval for interval in PERFECT_CLASSES).bool()
    parallel = sounds[..., upper] & sounds[..., lower] & same_direction & perfect
    return (parallel & (interval_after == interval_before)).sum(-1)


def joint_parallels(candidates: Tensor, soprano: Tensor, joint: Tensor) -> Tensor:
    """(T, V, K) each voice's candidate pitches, (T,) the soprano, (J, V) each joint state's
    candidate per voice -> (T-1, J, J) the parallels (`parallels_between`, the soprano included)
    of each transition between joint states. Counted pair by pair over K^4 candidate pairs, then
    gathered: 16x fewer comparisons than over the J x J chords."""
    steps, _, count = candidates.shape
    lines = torch.cat([soprano.to(candidates)[:, None, None].expand(-1, 1, count), candidates], 1)
    choice = torch.cat([torch.zeros_like(joint[:, :1]), joint], 1)  # the soprano has one candidate
    total = torch.zeros((steps - 1, len(joint), len(joint)), dtype=torch.int16, device=candidates.device)
    shape = (steps - 1, count, count, count, count)  # a pair's candidates before, then after
    for upper, lower in itertools.combinations(range(lines.shape[1]), 2):
        before = [lines[:-1, upper].view(-1, count, 1, 1, 1), lines[:-1, lower].view(-1, 1, count, 1, 1)]
        after = [lines[1:, upper].view(-1, 1, 1, count, 1), lines[1:, lower].view(-1, 1, 1, 1, count)]
        pair_before = torch.stack([pitch.expand(shape) for pitch in before], -1)
        pair_after = torch.stack([pitch.expand(shape) for pitch in after], -1)
        counts = parallels_between(pair_before, pair_after).to(torch.int16)
        total += counts[
            :, choice[:, upper, None], choice[:, lower, None], choice[None, :, upper], choice[None, :, lower]
        ]
    return total


@dataclass(frozen=True, kw_only=True)  # six floats: named, never positional
class LinePriors:
    """What `decode_lines` weighs besides the net's own log-probabilities; each is off at 0.

    - `duration_weight` scales the log-chance of each voice changing pitch (or not) at each place
      in the beat (`BACH_CHANGE_RATES`);
    - `parallel_penalty`: nats per parallel fifth or octave, the soprano's included;
    - `interval_weight` scales the log of each move's share among the voice's moves
      (`BACH_INTERVAL_SHARES`) relative to its commonest: a step costs nothing, a leap its
      rarity, a rest's start or end the widest leap's;
    - `triad_bonus`: nats a step gains where the four voices form a triad (sevenths are Bach's
      on a sixth as many steps: they are left to the net);
    - `contrary_bonus`: nats a step gains where the bass moves against the soprano (Bach's outer
      voices move in contrary motion at a third of their moves);
    - `change_bonus`: nats each pitch change gains. The likeliest sequence changes less often than
      sequences drawn from the same model (the priors above charge moves, not holds) and leaves
      notes held across chords: a speech recogniser's word insertion bonus corrects the same bias.
    """

    duration_weight: float = 0.0
    parallel_penalty: float = 0.0
    interval_weight: float = 0.0
    triad_bonus: float = 0.0
    contrary_bonus: float = 0.0
    change_bonus: float = 0.0


def decode_lines(
    log_probs: Tensor,
    state_pitches: Tensor,
    soprano: Tensor,
    first_step: int,
    priors: LinePriors,
    rates: tuple[tuple[float, ...], ...] = BACH_CHANGE_RATES,
    intervals: tuple[tuple[float, ...], ...] = BACH_INTERVAL_SHARES,
) -> Tensor:
    """(B, V, T, S) log-probabilities of S states per voice and step -> (B, V, T) the likeliest
    states under `priors`, V lower voices with their `rates` of change (V, BEAT_STEPS) and
    `intervals` shares (V, WIDEST), the last voice the bass. `state_pitches` (S,) is each state's
    MIDI pitch (-1 a rest); `soprano` (B, T) the line above; step 0 is the piece's step
    `first_step`. A given cell is a row that is 0 at its state and -inf elsewhere."""
    if priors == LinePriors():
        return log_probs.argmax(-1)
    if len(log_probs) > 1:  # one piece at a time: the transitions of 64 x 64 joint states are large
        pieces = zip(log_probs, soprano)
        return torch.cat(
            [
                decode_lines(lp[None], state_pitches, top[None], first_step, priors, rates, intervals)
                for lp, top in pieces
            ]
        )
    _, voices, steps, _ = log_probs.shape
    device = log_probs.device
    best_log_probs, best_states = log_probs[0].transpose(0, 1).topk(min(CANDIDATES, log_probs.shape[-1]), -1)
    joint = torch.cartesian_prod(*[torch.arange(best_states.shape[-1])] * voices).view(-1, voices)
    # (T, J, V): each joint state's states and pitches per voice; (T, J) its summed log-probability.
    voice = torch.arange(voices)
    joint_log_probs = best_log_probs[:, voice, joint].sum(-1)
    joint_states = best_states[:, voice, joint]
    joint_pitches = state_pitches.to(device=device, dtype=torch.int16)[joint_states]
    top = soprano[0].to(device=device, dtype=torch.int16)

    if priors.triad_bonus:
        chords = torch.cat([top[:, None, None].expand(-1, len(joint), 1), joint_pitches], -1)
        bits = torch.zeros(chords.shape[:-1], dtype=torch.long, device=device)
        for line in chords.unbind(-1):
            bits |= torch.where(line >= 0, 1 << (line.clamp_min(0).long() % 12), 0)
        formed = torch.from_numpy(IS_TRIAD).to(device)[bits] & (chords >= 0).all(-1)
        joint_log_probs = joint_log_probs + priors.triad_bonus * formed

    # Each voice's own priors: (T-1, V, K, K) over its candidates before and after a step,
    # gathered into (T-1, J, J) the log-chance of each transition between joint states.
    candidate_pitches = state_pitches.to(device=device, dtype=torch.int16)[best_states]  # (T, V, K)
    before, after = candidate_pitches[:-1, :, :, None], candidate_pitches[1:, :, None, :]
    rates_by_voice = torch.tensor(rates, device=device).clamp(RATE_FLOOR, 1 - RATE_FLOOR)
    place = (first_step + torch.arange(1, steps, device=device)) % BEAT_STEPS
    place_rates = rates_by_voice[:, place].T[..., None, None]  # (T-1, V, 1, 1)
    stay = priors.duration_weight * torch.log1p(-place_rates)
    move = priors.duration_weight * torch.log(place_rates)
    own = torch.where(before != after, move + priors.change_bonus, stay)
    if priors.interval_weight:
        shares = torch.tensor(intervals, device=device).clamp_min(RATE_FLOOR)
        rarity = priors.interval_weight * (shares / shares.max(1, keepdim=True).values).log()  # (V, WIDEST)
        # A move into or out of a rest is as rare as the widest leap: a line does not dodge a
        # leap's cost through a rest, and Bach's lower voices rest on 2 % of steps.
        sounding = (before >= 0) & (after >= 0)
        leap = torch.where(sounding, (after - before).abs().clamp(1, WIDEST), WIDEST).long()
        own = own + torch.where(before != after, rarity[voice[:, None, None], leap - 1], 0.0)
    if priors.contrary_bonus:
        soprano_motion = torch.sign(top[1:] - top[:-1]) * ((top[1:] >= 0) & (top[:-1] >= 0))
        bass_before, bass_after = before[:, -1], after[:, -1]
        bass_motion = torch.sign(bass_after - bass_before) * ((bass_before >= 0) & (bass_after >= 0))
        against = bass_motion * soprano_motion[:, None, None] < 0
        own[:, -1] = own[:, -1] + priors.contrary_bonus * against
    transition = sum(own[:, v, joint[:, v, None], joint[None, :, v]] for v in range(voices))
    if priors.parallel_penalty:
        transition = transition - priors.parallel_penalty * joint_parallels(
            candidate_pitches, soprano[0], joint
        )

    score = joint_log_probs[0]
    came_from = torch.zeros((steps, joint.shape[0]), dtype=torch.long, device=device)
    for t in range(1, steps):
        score, came_from[t] = (score[:, None] + transition[t - 1]).max(0)
        score = score + joint_log_probs[t]
    path = torch.empty(steps, dtype=torch.long, device=device)
    path[-1] = score.argmax()
    for t in range(steps - 1, 0, -1):
        path[t - 1] = came_from[t, path[t]]
    return joint_states[torch.arange(steps, device=device), path].T[None]
