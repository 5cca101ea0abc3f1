"""Annealed blocked Gibbs sampling, the way Coconet fills in music.

Huang et al. (2017), "Counterpoint by Convolution", section 5: rather than sampling a score cell by
cell in one fixed order (ancestral sampling, whose early mistakes are never revisited), repeatedly
hide a random block of the cells to be generated and redraw them all at once from the model given
the rest. The block starts large (most cells redrawn: coarse exploration) and shrinks linearly to a
floor (fine corrections); this is the schedule of Yao et al. (2014), "On the equivalence between
deep NADE and generative stochastic networks":

    p_n = max(pmin, pmax - n * (pmax - pmin) / (nu * N)),   pmin=0.1, pmax=0.9, nu=0.7, N = 4 T

A sampler only needs `model_fn(onehot, mask) -> logits`, so it can be tested with a toy function.
With a voice-leading prior the chain ends with whole-note moves for the notes it left in parallels
(`sampling.note_moves`: one cell at a time cannot move a note).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from deepchorale.data.chorale import REST
from deepchorale.data.convert import ONEHOT_HIGH, ONEHOT_LOW, ONEHOT_PITCHES
from deepchorale.sampling.draws import uniform
from deepchorale.sampling.note_moves import parallel_note_moves
from deepchorale.sampling.voice_leading import VoiceLeadingPrior

# (onehot (B, 4, T, 46) float, mask (B, 4, T) bool, True = hidden) -> logits (B, 4, T, 46)
ModelFn = Callable[[Tensor, Tensor], Tensor]
SCHEDULES = ("yao", "constant")


@dataclass(frozen=True)
class GibbsSettings:
    """How Coconet samples. No defaults here: the values users get are `conf/sampler/coconet.yaml`'s."""

    steps: int | None  # Gibbs steps after the start; None = Coconet's 4 T
    temperature: float
    schedule: str  # one of SCHEDULES
    voice_leading: VoiceLeadingPrior | None  # part-writing penalties added to every proposal


def gibbs_settings(sampler: dict) -> GibbsSettings:
    """`GibbsSettings` from plain data (a model config's `sampler`, which a weights file stores)."""
    rules = sampler["voice_leading"]
    if rules and "range" not in rules:  # files written before the range rule were sampled without it
        rules = {**rules, "range": 0.0}
    return GibbsSettings(
        steps=sampler["steps"],
        temperature=sampler["temperature"],
        schedule=sampler["schedule"],
        voice_leading=VoiceLeadingPrior(**rules) if rules else None,
    )


def pitch_onehot(pitches: Tensor) -> Tensor:
    """(B, 4, T) MIDI pitches, -1 = rest -> (B, 4, T, 46) float one-hot; a rest is an all-zero row."""
    sounding = pitches != REST
    if torch.any(sounding & ((pitches < ONEHOT_LOW) | (pitches > ONEHOT_HIGH))):
        raise ValueError(f"pitches outside Coconet's range {ONEHOT_LOW}-{ONEHOT_HIGH}")
    index = torch.where(sounding, pitches - ONEHOT_LOW, 0)
    return F.one_hot(index, ONEHOT_PITCHES).float() * sounding.unsqueeze(-1)


def sample_pitches(
    logits: Tensor, temperature: float, generator: torch.Generator | None, energy: Tensor | None = None
) -> Tensor:
    """One MIDI pitch per cell from softmax(logits / temperature − energy), by the Gumbel-max trick."""
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    gumbel = -torch.log(-torch.log(uniform(tuple(logits.shape), generator, logits.device)))
    scores = logits.float() / temperature + gumbel
    if energy is not None:
        scores = scores - energy
    return scores.argmax(-1) + ONEHOT_LOW


def block_probability(
    step: int,
    steps: int,
    schedule: str = "yao",
    pmin: float = 0.1,
    pmax: float = 0.9,
    nu: float = 0.7,
    constant_probability: float = 0.5,
) -> float:
    """The chance that a generated cell is redrawn at Gibbs step `step` of `steps`."""
    if schedule == "yao":
        return max(pmin, pmax - step * (pmax - pmin) / (nu * steps))
    if schedule == "constant":
        return constant_probability
    raise ValueError(f"unknown schedule {schedule!r}; choose from {SCHEDULES}")


@torch.no_grad()
def gibbs_sample(
    model_fn: ModelFn,
    pitches: Tensor,
    mask: Tensor,
    settings: GibbsSettings,
    generator: torch.Generator | None,
    *,
    pmin: float = 0.1,
    pmax: float = 0.9,
    nu: float = 0.7,
    constant_probability: float = 0.5,
    from_draft: bool = False,
    receptive_radius: int | None = None,
) -> Tensor:
    """Fill the cells where `mask` is True; every other cell (rests included) stays exactly as given.

    pitches: (B, 4, T) MIDI pitches, -1 = rest; what they hold under `mask` is ignored, unless
    `from_draft`: then it is a draft (another model's) that the chain starts from instead of an
    independent draw, and a `pmax` below Yao's 0.9 keeps more of it in the first blocks; a draft's
    rests and pitches outside Coconet's range are redrawn first, as the independent start would.
    settings: steps (one model call each; None = 4 T as in Coconet), temperature, schedule, and the
    voice-leading prior added to every proposal (`sampling.voice_leading`). pmin, pmax, nu are Yao's.
    `receptive_radius`: steps each side that can change a cell's logits under `model_fn`, if known;
    the closing note moves then read only the stretches they redraw. Every random number comes
    from `generator`, so one seed gives one result.
    """
    mask = mask.bool()
    steps, temperature, schedule, prior = (
        settings.steps,
        settings.temperature,
        settings.schedule,
        settings.voice_leading,
    )
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; choose from {SCHEDULES}")
    if not 0 < pmin <= pmax <= 1:
        raise ValueError(f"pmax {pmax} must be in [pmin {pmin}, 1]")
    steps = 4 * pitches.shape[-1] if steps is None else steps

    def redraw(state: Tensor, block: Tensor) -> Tensor:
        logits = model_fn(pitch_onehot(state), block)
        energy = prior.penalty(state) if prior is not None else None
        return torch.where(block, sample_pitches(logits, temperature, generator, energy), state)

    # Start from one independent draw of every generated cell with all of them hidden (Magenta's
    # "independent" sampler), so that no later step sees an unfilled cell posing as a rest.
    unusable = mask
    if from_draft:
        unusable = mask & ((pitches == REST) | (pitches < ONEHOT_LOW) | (pitches > ONEHOT_HIGH))
    state = torch.where(unusable, REST, pitches)
    if unusable.any():
        state = redraw(state, unusable)
    for step in range(steps):
        probability = block_probability(step, steps, schedule, pmin, pmax, nu, constant_probability)
        block = mask & (uniform(tuple(mask.shape), generator, mask.device) < probability)
        state = redraw(state, block)
    if prior is not None and prior.parallels:

        def logits_of(current: Tensor, block: Tensor) -> Tensor:
            return model_fn(pitch_onehot(current), block)

        state = parallel_note_moves(logits_of, state, mask, prior, temperature, generator, receptive_radius)
    return state
