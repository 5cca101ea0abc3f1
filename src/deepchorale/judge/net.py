"""The Bach judge: P(Bach) for an excerpt of any length and any number of voices.

The "AI judge" of the AWS DeepComposer Chartbusters challenge is a small CNN on the first 8 bars
of a merged piano roll, averaged 50/50 with 1 − a KS distance on pitch occupancy; it rates random
in-range chords close to real Bach because it never saw them. Ours is trained against named
families of negatives (made by `judge/negatives.py`, batched by `judge/data.py`),
with transposition augmentation on both classes so key is no cue, on windows of random length so
it judges excerpts, and it pools window judgements over a piece (`judge/scoring.py`).

Input, per window of T steps on the 16th grid, over MIDI 24-107 (seven octaves from C1):
- the merged piano roll and the onset roll (2, T, 84). Merging the voices makes the judge
  voice-count agnostic: a trio, a chorale or a quintet reduction are all judged alike, and the
  onset roll keeps what merging would lose about notes (a repeated note versus a held one);
- built inside the net: 11 "interval" channels, where a sounding note's cell says which pitch
  classes 1..11 semitones above it sound too. A 3x3 convolution sees three semitones; these
  channels let the first layer see every note's chord (triad or cluster), the cue that separates
  random chords from Bach, whatever the voicing or octave;
- and 4 "motion" channels, where a note's onset cell says whether the step before sounded a note
  within 0, 2, 4 or 7 semitones of it (held or repeated, by step, by third, by fifth). This is
  voice leading without voices: Bach moves every line smoothly, and bars spliced in a foreign
  order (the shuffled-bars family) betray themselves by the leaps at every join.
The CNN pools over time and pitch (masked to the real steps), so any window length works, and
returns a logit and an embedding (for a Fréchet distance on judge embeddings).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from deepchorale.data.chorale import REST

JUDGE_LOW = 24  # C1; a C, so pitch index p has pitch class p % 12
JUDGE_PITCHES = 84
OCTAVES = JUDGE_PITCHES // 12


def judge_input(pitches: np.ndarray, onsets: np.ndarray) -> np.ndarray:
    """(V, T) pitches (-1 = rest) and onsets of any number of voices -> (2, T, 84) float32 rolls.

    Pitches outside MIDI 24-107 are moved by octaves into it (they only occur in corruptions)."""
    pitches, onsets = np.asarray(pitches), np.asarray(onsets, bool)
    sounding = pitches != REST
    index = np.where(sounding, pitches - JUDGE_LOW, 0)
    index = np.where(index < 0, index % 12, index)
    index = np.where(index >= JUDGE_PITCHES, JUDGE_PITCHES - 12 + index % 12, index)
    rolls = np.zeros((2, pitches.shape[1], JUDGE_PITCHES), np.float32)
    voice, step = np.nonzero(sounding)
    rolls[0, step, index[voice, step]] = 1.0
    voice, step = np.nonzero(sounding & onsets)
    rolls[1, step, index[voice, step]] = 1.0
    return rolls


MOTION_REACH = (0, 2, 4, 7)  # semitones: common tone, step, third, fifth
FEATURES = 2 + 11 + len(MOTION_REACH)


def judge_features(rolls: Tensor) -> Tensor:
    """(B, 2, T, 84) rolls -> (B, 17, T, 84) channels-last: the rolls, 11 interval channels where
    channel k-1 is 1 on a sounding cell whose pitch class + k semitones also sounds then, and one
    motion channel per reach r, 1 on an onset cell when the step before sounded a note within r
    semitones.

    At this net's size building the input costs as much as the convolutions, so it is written once,
    straight into the channels-last layout the convolutions want and in autocast's dtype."""
    batch, _, steps, _ = rolls.shape
    device = rolls.device
    dtype = torch.get_autocast_dtype(device.type) if torch.is_autocast_enabled(device.type) else rolls.dtype
    roll, onset = rolls[:, 0].to(dtype), rolls[:, 1].to(dtype)
    chroma = roll.unflatten(-1, (OCTAVES, 12)).amax(-2)  # (B, T, 12)
    pitch_class = torch.arange(12, device=device).unsqueeze(1)
    above = chroma[:, :, (pitch_class + torch.arange(1, 12, device=device)) % 12]  # (B, T, 12, 11)
    features = torch.empty(batch, steps, JUDGE_PITCHES, FEATURES, dtype=dtype, device=device)
    features[..., :2] = rolls.permute(0, 2, 3, 1)
    torch.mul(
        roll.unflatten(-1, (OCTAVES, 12)).unsqueeze(-1),
        above.unsqueeze(2),
        out=features[..., 2:13].unflatten(2, (OCTAVES, 12)),
    )
    # The rolls as given (float32), not in autocast's dtype: CPU max pooling is ~10x slower in bf16.
    before = F.pad(rolls[:, 0], (0, 0, 1, 0))[:, :-1].reshape(batch * steps, 1, JUDGE_PITCHES)
    for channel, reach in enumerate(MOTION_REACH, start=13):
        near = F.max_pool1d(before, 2 * reach + 1, stride=1, padding=reach) if reach else before
        torch.mul(onset, near.view(batch, steps, JUDGE_PITCHES).to(dtype), out=features[..., channel])
    return features.permute(0, 3, 1, 2)


def masked_pool(features: Tensor, valid: Tensor) -> Tensor:
    """(B, C, T', P) features, (B, T') valid -> (B, 2C): mean and max over the valid positions."""
    mask = valid[:, None, :, None].to(features.dtype)
    count = (mask.sum((2, 3)) * features.shape[-1]).clamp(min=1)
    mean = (features * mask).sum((2, 3)) / count
    peak = features.masked_fill(mask == 0, float("-inf")).amax((2, 3))
    return torch.cat([mean, peak], dim=1)


class PooledJudge(nn.Module):
    """What both judges' nets share: `stages` of strided convolutions over (time, pitch) on the
    planes `features` makes of the rolls, masked mean+max pooling over the real steps, a linear
    embedding and a linear head: (B, planes, T, 84) rolls [, (B, T) valid] -> logits (B,),
    embeddings (B, D)."""

    def build(
        self,
        stages: list[nn.Module],
        width: int,
        strides: Sequence[Sequence[int]],
        embedding_dim: int,
        dropout: float,
    ) -> None:
        self.time_strides = [int(stride[0]) for stride in strides]
        self.stages = nn.Sequential(*stages)
        self.embedding = nn.Linear(2 * width, embedding_dim)
        self.head = nn.Sequential(nn.ReLU(), nn.Dropout(dropout), nn.Linear(embedding_dim, 1))

    def features(self, rolls: Tensor) -> Tensor:
        raise NotImplementedError

    def embed(self, rolls: Tensor, valid: Tensor | None = None) -> Tensor:
        features = self.stages(self.features(rolls))
        if valid is None:
            valid = torch.ones(rolls.shape[0], rolls.shape[2], dtype=torch.bool, device=rolls.device)
        for stride in self.time_strides:  # a position is real if the step it is centred on was
            valid = valid[:, ::stride]
        return self.embedding(masked_pool(features, valid))

    def forward(self, rolls: Tensor, valid: Tensor | None = None) -> tuple[Tensor, Tensor]:
        embedding = self.embed(rolls, valid)
        return self.head(embedding).squeeze(-1), embedding


def conv_stage(width: int, out: int, stride: Sequence[int], kernel=3, padding=1) -> list[nn.Module]:
    """A convolution downsampling by `stride`, batch norm, ReLU."""
    stride = tuple(int(s) for s in stride)
    return [nn.Conv2d(width, out, kernel, stride, padding, bias=False), nn.BatchNorm2d(out), nn.ReLU()]


class JudgeNet(PooledJudge):
    """(B, 2, T, 84) rolls [, (B, T) valid] -> logits (B,), embeddings (B, D).

    Stages of 3x3 conv + batch norm + ReLU, each downsampling time x pitch by its stride (striding
    rather than max pooling, as the all-convolutional net of Springenberg et al. 2015: on a CPU a
    small CNN's cost is memory traffic, and a strided convolution never writes the full-size map).
    With the defaults 84 pitches -> 42 -> 21 -> 7 -> 7 and T -> T/8, then masked mean+max pooling,
    a linear embedding and a linear head. Strides round up, so any T >= 1 works.
    """

    def __init__(
        self,
        channels: Sequence[int] = (24, 48, 64, 128),
        strides: Sequence[Sequence[int]] = ((2, 2), (2, 2), (2, 3), (1, 1)),
        embedding_dim: int = 128,
        dropout: float = 0.1,
        channels_last: bool = True,
    ) -> None:
        super().__init__()
        if len(channels) != len(strides):
            raise ValueError("one stride per stage: channels and strides must have the same length")
        stages, width = [], FEATURES
        for out, stride in zip(channels, strides):
            stages += conv_stage(width, out, stride)
            width = out
        self.build(stages, width, strides, embedding_dim, dropout)
        # Channels-last: the layout oneDNN's (CPU) and tensor cores' fastest convolutions read.
        self.channels_last = channels_last
        if channels_last:
            self.to(memory_format=torch.channels_last)

    input_planes = 2
    encode = staticmethod(judge_input)

    def features(self, rolls: Tensor) -> Tensor:
        features = judge_features(rolls)
        return features if self.channels_last else features.contiguous()
