"""The evaluation judge's network: P(Bach) for a four-voice excerpt, hearing register and texture.

The critic compose revises against (`judge/net.py`) merges the voices and is trained on windows
transposed up to 6 semitones either way, so it cannot hear a track voiced an octave above Bach,
nor which voice re-strikes a note or how far apart the voices sit. This net is the grader, so it is
built to hear exactly those, and differs from the critic in input, architecture, seed and
augmentation (trained with `transpose: 0`, `conf/experiment/judge_evaluation.yaml`):
- one roll per voice (S, A, T, B) and one onset roll per voice, at absolute pitch over MIDI
  24-107: spacing between voices, each voice's articulation (a repeated note is two onsets) and
  each voice's rhythm are in the input, not left to be inferred from a merged roll;
- a register plane (each pitch row's height, -1 at MIDI 24 to 1 at 107): convolutions and global
  pooling are blind to where a pattern sits, and this plane tells the first layer (CoordConv, Liu
  et al. 2018, "An intriguing failing of convolutional neural networks");
- a first convolution one octave and a semitone wide (13 pitch rows), so a single layer sees every
  interval within an octave, then strided 3x3 stages, masked mean+max pooling over the real steps,
  an embedding and a linear head, as the critic.
Pieces with other voice counts than four are not its job (they are the critic's, which merges).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from deepchorale.data.chorale import REST, VOICES
from deepchorale.judge.net import JUDGE_LOW, JUDGE_PITCHES, PooledJudge, conv_stage

INPUT_PLANES = 2 * len(VOICES)


def voice_input(pitches: np.ndarray, onsets: np.ndarray) -> np.ndarray:
    """(4, T) pitches (-1 = rest) and onsets -> (8, T, 84) float32: a sounding and an onset roll
    per voice at absolute pitch; pitches outside MIDI 24-107 are clipped to its edge rows (only
    corruptions hold them)."""
    pitches, onsets = np.asarray(pitches), np.asarray(onsets, bool)
    if pitches.shape[0] != len(VOICES):
        raise ValueError(f"the evaluation judge hears four voices, not {pitches.shape[0]}")
    sounding = pitches != REST
    index = np.clip(pitches - JUDGE_LOW, 0, JUDGE_PITCHES - 1)
    rolls = np.zeros((INPUT_PLANES, pitches.shape[1], JUDGE_PITCHES), np.float32)
    voice, step = np.nonzero(sounding)
    rolls[voice, step, index[voice, step]] = 1.0
    voice, step = np.nonzero(sounding & onsets)
    rolls[len(VOICES) + voice, step, index[voice, step]] = 1.0
    return rolls


class RegisterJudgeNet(PooledJudge):
    """(B, 8, T, 84) rolls [, (B, T) valid] -> logits (B,), embeddings (B, D); with the defaults
    84 pitches -> 42 -> 21 -> 7 -> 7 and T -> T/8, as the critic's `JudgeNet`."""

    input_planes = INPUT_PLANES

    def __init__(
        self,
        channels: Sequence[int] = (32, 64, 96, 128),
        strides: Sequence[Sequence[int]] = ((2, 2), (2, 2), (2, 3), (1, 1)),
        embedding_dim: int = 128,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        if len(channels) != len(strides):
            raise ValueError("one stride per stage: channels and strides must have the same length")
        height = torch.linspace(-1.0, 1.0, JUDGE_PITCHES)
        self.register_buffer("register_plane", height.view(1, 1, 1, -1), persistent=False)
        stages, width = [], INPUT_PLANES + 1
        for index, (out, stride) in enumerate(zip(channels, strides)):
            kernel, padding = ((3, 13), (1, 6)) if index == 0 else (3, 1)
            stages += conv_stage(width, out, stride, kernel, padding)
            width = out
        self.build(stages, width, strides, embedding_dim, dropout)
        self.to(memory_format=torch.channels_last)  # oneDNN's and cuDNN's fastest convolutions

    encode = staticmethod(voice_input)

    def features(self, rolls: Tensor) -> Tensor:
        batch, _, steps, _ = rolls.shape
        plane = self.register_plane.to(rolls.dtype).expand(batch, 1, steps, JUDGE_PITCHES)
        return torch.cat([rolls, plane], 1).contiguous(memory_format=torch.channels_last)
