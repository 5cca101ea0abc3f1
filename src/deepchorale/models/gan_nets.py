"""The GAN family's networks: two generator designs and one critic (models/gan.py trains them).

Every net reads and writes per-voice piano rolls (B, C, T, P) in {-1, 1} over `PITCH_ROWS` pitches
(see `gan.py`). Generators take the condition planes (the soprano, the lower voices where they are
given, and a plane saying which steps are given) and a noise vector, and return the three lower
voices' rolls; the noise is tiled over the bottleneck grid, so the nets are fully convolutional and
accompany a window of any length (padded to a multiple of 2**depth, cropped back).

- `MuseganGenerator`: MuseGAN's multitrack design (Dong et al. 2018) in its track-conditional form:
  a shared trunk decodes the noise, the condition encoder's features are added at each level, and
  each voice has its own private output branch.
- `UnetGenerator`: DeepComposer's GAN-lab U-Net: the condition encoded by strided convolutions, the
  noise concatenated at the bottleneck, a decoder with concatenated skips and batch norm, one output
  head for all three voices.
- `Critic`: four strided convolutions without batch norm (WGAN-GP penalises each example's gradient
  on its own, which batch statistics would couple), then a linear score of the averaged features.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

CONDITION_CHANNELS = 5  # soprano, alto, tenor, bass (given steps only), given-steps plane
GENERATED_VOICES = 3  # alto, tenor, bass
CRITIC_CHANNELS = 5  # the four voices and the given-steps plane


def down(in_channels: int, out_channels: int) -> nn.Sequential:
    """Halve time and pitch: a 4x4 stride-2 convolution and a leaky ReLU."""
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 4, 2, 1), nn.LeakyReLU(0.2))


def up(in_channels: int, out_channels: int) -> nn.Sequential:
    """Double time and pitch: a 4x4 stride-2 transposed convolution, batch norm and ReLU."""
    return nn.Sequential(
        nn.ConvTranspose2d(in_channels, out_channels, 4, 2, 1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    )


def pad_to_multiple(x: Tensor, multiple: int) -> Tensor:
    steps, pitches = x.shape[-2:]
    return F.pad(x, (0, -pitches % multiple, 0, -steps % multiple), value=-1.0)


class ConditionEncoder(nn.Module):
    """(B, 5, T, P) condition -> features at 1/2, 1/4, ... 1/2**depth of its size."""

    def __init__(self, depth: int, base_filters: int) -> None:
        super().__init__()
        widths = [base_filters * 2**level for level in range(depth)]
        self.levels = nn.ModuleList(
            down(CONDITION_CHANNELS if level == 0 else widths[level - 1], widths[level])
            for level in range(depth)
        )

    def forward(self, x: Tensor) -> list[Tensor]:
        features = []
        for level in self.levels:
            x = level(x)
            features.append(x)
        return features


class GeneratorNet(nn.Module):
    """What the two designs share: the condition encoder, the noise at the bottleneck, padding."""

    def __init__(self, depth: int, base_filters: int, latent_dim: int) -> None:
        super().__init__()
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        self.depth, self.latent_dim = depth, latent_dim
        self.widths = [base_filters * 2**level for level in range(depth)]
        self.encoder = ConditionEncoder(depth, base_filters)
        self.bottleneck = nn.Sequential(
            nn.Conv2d(self.widths[-1] + latent_dim, self.widths[-1], 3, padding=1), nn.ReLU()
        )

    def forward(self, condition: Tensor, noise: Tensor) -> Tensor:
        """(B, 5, T, P) condition, (B, latent_dim) noise -> (B, 3, T, P) rolls in (-1, 1)."""
        steps, pitches = condition.shape[-2:]
        x = pad_to_multiple(condition, 2**self.depth)
        features = self.encoder(x)
        deepest = features[-1]
        tiled = noise[:, :, None, None].to(deepest.dtype).expand(-1, -1, *deepest.shape[-2:])
        h = self.bottleneck(torch.cat([deepest, tiled], 1))
        return torch.tanh(self.decode(h, features, x))[..., :steps, :pitches]

    def decode(self, h: Tensor, features: list[Tensor], condition: Tensor) -> Tensor:
        raise NotImplementedError


class UnetGenerator(GeneratorNet):
    """DeepComposer's U-Net: skips concatenated at every level, one head writes the three voices."""

    def __init__(self, depth: int = 3, base_filters: int = 32, latent_dim: int = 32) -> None:
        super().__init__(depth, base_filters, latent_dim)
        widths = self.widths
        self.ups = nn.ModuleList(
            up(widths[level] * (1 if level == depth - 1 else 2), widths[level - 1] if level else base_filters)
            for level in reversed(range(depth))
        )
        # The full-resolution condition joins last, so the soprano's exact pitches reach the output.
        self.head = nn.Conv2d(base_filters + CONDITION_CHANNELS, GENERATED_VOICES, 3, padding=1)

    def decode(self, h: Tensor, features: list[Tensor], condition: Tensor) -> Tensor:
        for level, layer in zip(reversed(range(self.depth)), self.ups):
            if level < self.depth - 1:
                h = torch.cat([h, features[level]], 1)
            h = layer(h)
        return self.head(torch.cat([h, condition.to(h.dtype)], 1))


class MuseganGenerator(GeneratorNet):
    """MuseGAN's shared trunk and private per-voice branches; the condition's features are added
    to the trunk at each level (MuseGAN's track-conditional encoder)."""

    def __init__(self, depth: int = 3, base_filters: int = 32, latent_dim: int = 32) -> None:
        super().__init__(depth, base_filters, latent_dim)
        widths = self.widths
        self.ups = nn.ModuleList(
            up(widths[level], widths[level - 1] if level else base_filters)
            for level in reversed(range(depth))
        )
        self.private = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(base_filters + CONDITION_CHANNELS, base_filters, 3, padding=1),
                nn.BatchNorm2d(base_filters),
                nn.ReLU(),
                nn.Conv2d(base_filters, 1, 3, padding=1),
            )
            for _ in range(GENERATED_VOICES)
        )

    def decode(self, h: Tensor, features: list[Tensor], condition: Tensor) -> Tensor:
        for level, layer in zip(reversed(range(self.depth)), self.ups):
            if level < self.depth - 1:
                h = h + features[level]
            h = layer(h)
        shared = torch.cat([h, condition.to(h.dtype)], 1)
        return torch.cat([branch(shared) for branch in self.private], 1)


class Critic(nn.Module):
    """(B, 5, T, P) rolls -> (B,) scores: four stride-2 convolutions without batch norm, leaky
    ReLUs, features averaged over time and pitch (any window size), one linear score."""

    def __init__(self, base_filters: int = 32) -> None:
        super().__init__()
        widths = [base_filters * 2**level for level in range(4)]
        self.convs = nn.Sequential(
            *(down(CRITIC_CHANNELS if level == 0 else widths[level - 1], widths[level]) for level in range(4))
        )
        self.score = nn.Linear(widths[-1], 1)

    def forward(self, rolls: Tensor) -> Tensor:
        return self.score(self.convs(pad_to_multiple(rolls, 16)).mean((-2, -1))).squeeze(-1)
