"""Articulation: when a lower voice strikes a held pitch again, learned from the chorales' onsets.

The harmonisers write one pitch per voice per 16th step, so they cannot say "strike this note
again", and a piece read off their grid ties every repeated note into one: in our tracks the alto
and tenor never repeat a note, where Bach's repeat one move in five (`repeated_note_rate`; the
automated Turing test's strongest cue). DeepBach models this jointly with a hold symbol beside
each pitch (Hadjeres et al. 2017). Here it is a second model factored after the pitches:
p(onsets | pitches) = prod over the held cells of p(re-strike | the four lines around it), a small
1-D convolutional net over time, so any harmoniser's pitches can be articulated without
retraining it.

Input per step (`articulation_features`): per voice whether it sounds, moves (a new pitch, or for
the soprano the tune's own onset), holds, and how long since it last moved; and where the step
sits in the beat and the bar. Re-strikes of the lower voices are never an input (the net sees
only moves), so a whole piece is articulated in one pass and training sees what sampling sees.
Output: a logit per voice per step, read on the lower voices' held cells.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from deepchorale.data.chorale import REST, STEPS_PER_QUARTER, VOICES
from deepchorale.sampling.draws import uniform

HOLD_HORIZON = 16  # steps (a whole note in 4/4): "since the last move" saturates here
FEATURES = 4 * len(VOICES) + 2 * STEPS_PER_QUARTER + 1


def moves_and_holds(pitches: Tensor, soprano_onsets: Tensor) -> tuple[Tensor, Tensor]:
    """(B, 4, T) where each voice starts a new pitch (the soprano: where its tune strikes), and
    where it holds its previous pitch."""
    sounding = pitches != REST
    previous = F.pad(pitches, (1, 0), value=REST)[..., :-1]
    moves = sounding & (pitches != previous)
    moves[:, 0] = soprano_onsets & sounding[:, 0]
    return moves, sounding & ~moves


def articulation_features(pitches: Tensor, soprano_onsets: Tensor, phase: Tensor) -> Tensor:
    """(B, 4, T) pitches, (B, T) soprano onsets, (B, T) step within the bar -> (B, FEATURES, T)."""
    moves, holds = moves_and_holds(pitches, soprano_onsets)
    steps = torch.arange(pitches.shape[-1], device=pitches.device).expand_as(pitches)
    last_move = torch.where(moves, steps, -HOLD_HORIZON).cummax(-1).values
    since = ((steps - last_move).clamp(max=HOLD_HORIZON) / HOLD_HORIZON).to(torch.float32)
    in_beat = F.one_hot(phase % STEPS_PER_QUARTER, STEPS_PER_QUARTER)
    beat = F.one_hot((phase // STEPS_PER_QUARTER).clamp(max=STEPS_PER_QUARTER - 1), STEPS_PER_QUARTER)
    metre = torch.cat([in_beat, beat, (phase == 0).unsqueeze(-1)], -1).transpose(1, 2).float()
    lines = torch.cat([pitches != REST, moves, holds], 1).float()
    return torch.cat([lines, since, metre], 1)


class ArticulationNet(nn.Module):
    """(B, FEATURES, T) -> (B, 4, T) re-strike logits: `layers` 1-D convolutions over time."""

    def __init__(self, width: int = 48, layers: int = 3, kernel: int = 9) -> None:
        super().__init__()
        convs, channels = [], FEATURES
        for _ in range(layers - 1):
            convs += [nn.Conv1d(channels, width, kernel, padding=kernel // 2), nn.ReLU()]
            channels = width
        self.body = nn.Sequential(*convs, nn.Conv1d(channels, len(VOICES), 1))

    def forward(self, features: Tensor) -> Tensor:
        return self.body(features)


def bar_phase(num_steps: int, bar_steps: int, pickup: int) -> Tensor:
    """(T,) each step's position within its bar (a pickup sits at the end of a bar)."""
    return (torch.arange(num_steps) - pickup) % bar_steps


class Articulator(nn.Module):
    """A trained articulation net as compose holds it: draws the lower voices' re-strikes."""

    def __init__(self, net: ArticulationNet, temperature: float = 1.0) -> None:
        super().__init__()
        self.net, self.temperature = net, temperature

    @torch.no_grad()
    def onsets(
        self, pitches: Tensor, soprano_onsets: Tensor, phase: Tensor, generator: torch.Generator | None
    ) -> Tensor:
        """(B, 4, T) onsets: the soprano's as given, the lower voices' moves, and a re-strike drawn
        on each held lower-voice cell with the net's probability (sharpened below temperature 1)."""
        device = next(self.net.parameters()).device
        pitches, soprano_onsets, phase = pitches.to(device), soprano_onsets.to(device), phase.to(device)
        was_training = self.net.training
        self.net.eval()
        logits = self.net(articulation_features(pitches, soprano_onsets, phase))
        self.net.train(was_training)
        moves, holds = moves_and_holds(pitches, soprano_onsets)
        drawn = uniform(tuple(logits.shape), generator, device) < torch.sigmoid(logits / self.temperature)
        restrikes = holds & drawn
        restrikes[:, 0] = False  # the soprano is the tune: its onsets are given
        return moves | restrikes
