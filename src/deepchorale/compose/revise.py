"""Revise a harmonisation where compose's critic hears it least like Bach.

A whole-piece Gibbs chain settles most of the piece well and leaves some passages weak, and the
critic's windows say which. So, as a repair loop (the edit-and-rescore moves of Coconet's own Gibbs,
applied at the scale of phrases), each round takes the weakest window, redraws its free cells
`proposals` times in one batch with the harmoniser (on a crop with `context` steps of the piece
on each side as clamped context), and keeps the best proposal if the critic (judge minus the
parallels cost, `compose.critic.Critic`) scores the whole piece higher with it. A window that
could not be improved is set aside and the next weakest is tried; an improved one may be tried
again. Every draw comes from the caller's generator, so the result is reproducible.

The critic both guides revision and would score it, so what revision buys is measured by the
evaluation judge, which it never consults (`benchmarks/music_quality.py`, per stage).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from deepchorale.compose.critic import Critic
from deepchorale.data.chorale import Chorale
from deepchorale.judge.scoring import SCORE_WINDOW
from deepchorale.models.protocol import Infiller
from deepchorale.precision import inference_autocast


@dataclass(frozen=True)
class RevisionSettings:
    """No defaults here: users get `conf/compose.yaml`'s `revise`."""

    rounds: int  # windows redrawn, one per round
    proposals: int  # redraws of a window, in one batch; the critic keeps the best
    steps: int  # Gibbs steps per redraw (Coconet)
    context: int  # steps of clamped context each side of the window

    def __post_init__(self) -> None:
        if self.rounds < 0 or self.proposals < 1 or self.steps < 1 or self.context < 0:
            raise ValueError(f"revise needs rounds >= 0 and proposals, steps >= 1, context >= 0: {self}")


def revise(
    model: Infiller,
    pitches: np.ndarray,
    free: np.ndarray,
    draw: Any,
    settings: RevisionSettings,
    critic: Critic,
    as_chorale: Callable[[np.ndarray], Chorale],
    generator: torch.Generator | None,
) -> np.ndarray:
    """(4, T) `pitches` with the cells where `free` (4, T) is True redrawn, window by window, by
    `model.infill` under `draw` (its settings type); never scored lower by `critic` than the input."""
    current = pitches.copy()
    best = critic(as_chorale(current))
    length, tried = current.shape[1], set()
    for _ in range(settings.rounds):
        untried = [s for s in critic.weakest_windows(as_chorale(current)) if s not in tried]
        if not untried:
            break
        start = untried[0]
        stop = min(start + SCORE_WINDOW, length)
        low, high = max(start - settings.context, 0), min(stop + settings.context, length)
        mask = np.zeros((4, high - low), bool)
        mask[:, start - low : stop - low] = free[:, start:stop]
        if not mask.any():
            tried.add(start)
            continue
        crop = np.repeat(current[None, :, low:high].astype(np.int64), settings.proposals, axis=0)
        with torch.no_grad(), inference_autocast(model.device):
            drawn = model.infill(
                torch.from_numpy(crop).to(model.device),
                torch.from_numpy(np.repeat(mask[None], settings.proposals, axis=0)).to(model.device),
                draw,
                generator,
            )
        proposals = np.repeat(current[None], settings.proposals, axis=0)
        proposals[:, :, low:high] = drawn.cpu().numpy()
        scores = critic.scores([as_chorale(p) for p in proposals])
        winner = int(np.argmax(scores))
        if scores[winner] > best:
            best, current = float(scores[winner]), proposals[winner]
        else:
            tried.add(start)
    return current
