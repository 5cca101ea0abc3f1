"""Coconet: a convolutional orderless NADE over the four voices of a chorale.

Huang, Cooijmans, Roberts, Courville & Eck (2017), "Counterpoint by Convolution" (ISMIR), and
Magenta's reference code (magenta/models/coconet). The score is an image: time x pitch, one
channel per voice, plus one channel per voice saying which cells are known. Training hides a
random subset of the (time, voice) cells and asks for their pitches back, which teaches every
conditional p(some cells | the others) at once; sampling is annealed blocked Gibbs
(`deepchorale.sampling.gibbs`). Training (the orderless-NADE objective) is `deepchorale.training.coconet`.

Our data has rests (2-5% of cells) and padded windows; Coconet has no rest class, so rests and
padding are always given as context (all-zero one-hot rows) and never predicted or scored.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from deepchorale.data.chorale import VOICES
from deepchorale.models.protocol import packaged_sampler
from deepchorale.sampling.gibbs import GibbsSettings, gibbs_sample, gibbs_settings


class ConvBlock(nn.Module):
    """`depth` 3x3 conv (+ batch norm) + ReLU layers, with an identity shortcut around them."""

    def __init__(self, width: int, depth: int, batch_norm: bool, residual: bool) -> None:
        super().__init__()
        self.residual = residual
        self.convs = nn.ModuleList(
            nn.Conv2d(width, width, 3, padding=1, bias=not batch_norm) for _ in range(depth)
        )
        self.norms = nn.ModuleList(
            nn.BatchNorm2d(width) if batch_norm else nn.Identity() for _ in range(depth)
        )

    def forward(self, x: Tensor) -> Tensor:
        h = x
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            h = norm(conv(h))
            if i < len(self.convs) - 1:
                h = F.relu(h)
        return F.relu(h + x if self.residual else h)


class CoconetNet(nn.Module):
    """(one-hot (B, 4, T, 46), mask (B, 4, T)) -> logits (B, 4, T, 46); convolves over time x pitch.

    The 8 input channels are the 4 voices' one-hot planes with hidden cells zeroed and 4 planes
    marking the *known* cells (Magenta's `mask_indicates_context`: the convolutions' zero padding
    past the edges then reads as "unknown" rather than "known rest"). `num_layers` counts the input
    and output convolutions; the ones between are grouped into residual blocks of `residual_period`
    layers (0 = no shortcuts). Fully convolutional, so any T works.
    """

    def __init__(
        self,
        num_layers: int = 16,
        num_filters: int = 64,
        residual_period: int = 2,
        batch_norm: bool = True,
        channels_last: bool = False,
    ) -> None:
        super().__init__()
        hidden_layers = num_layers - 2
        period = residual_period or max(hidden_layers, 1)
        if hidden_layers < 0 or hidden_layers % period:
            raise ValueError(f"{num_layers - 2} hidden layers do not split into blocks of {period}")
        voices = len(VOICES)
        self.channels_last = channels_last
        self.input_conv = nn.Conv2d(2 * voices, num_filters, 3, padding=1, bias=not batch_norm)
        self.input_norm = nn.BatchNorm2d(num_filters) if batch_norm else nn.Identity()
        self.blocks = nn.Sequential(
            *(
                ConvBlock(num_filters, period, batch_norm, residual=residual_period > 0)
                for _ in range(hidden_layers // period)
            )
        )
        self.output_conv = nn.Conv2d(num_filters, voices, 3, padding=1)
        for module in self.modules():
            # He initialisation, as Magenta's code. Not on the meta device, where `load_model`
            # checks a file's shapes: there it means nothing, and meta's normal_ imports
            # torch._dynamo, a second of every compose's start-up.
            if isinstance(module, nn.Conv2d) and not module.weight.is_meta:
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
        if channels_last:
            self.to(memory_format=torch.channels_last)

    @property
    def receptive_radius(self) -> int:
        """Steps either side of a cell that its logits depend on: each convolution adds its reach in time."""
        convs = [module for module in self.modules() if isinstance(module, nn.Conv2d)]
        return sum(conv.kernel_size[0] // 2 * conv.dilation[0] for conv in convs)

    def forward(self, onehot: Tensor, mask: Tensor) -> Tensor:
        known = (~mask).unsqueeze(-1).to(onehot.dtype)
        x = torch.cat([onehot * known, known.expand_as(onehot)], dim=1)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        x = F.relu(self.input_norm(self.input_conv(x)))
        return self.output_conv(self.blocks(x))


def sampling_net(net: CoconetNet) -> CoconetNet:
    """An eval-mode copy of `net` that computes the same function faster: every batch norm folded
    into the convolution before it (its running statistics are constants once training stops),
    in the NHWC layout oneDNN's convolutions prefer (how much faster: `benchmarks/coconet_sampling_speed.py`).
    A copy, so the module keeps training with its own layers and `state_dict` keys."""
    folded = copy.deepcopy(net).eval()
    if not isinstance(folded.input_norm, nn.Identity):
        folded.input_conv = fuse_conv_bn_eval(folded.input_conv, folded.input_norm)
        folded.input_norm = nn.Identity()
    for block in folded.blocks:
        pairs = list(zip(block.convs, block.norms))
        block.convs = nn.ModuleList(
            conv if isinstance(norm, nn.Identity) else fuse_conv_bn_eval(conv, norm) for conv, norm in pairs
        )
        block.norms = nn.ModuleList(nn.Identity() for _ in pairs)
    folded.channels_last = True
    return folded.to(memory_format=torch.channels_last)


class Coconet(nn.Module):
    """A trained Coconet as compose holds it: the net and the sampler settings its training logged
    samples with; harmonises by annealed blocked Gibbs (the `Infiller` protocol)."""

    def __init__(self, net: CoconetNet, sampler: dict | None = None) -> None:
        super().__init__()
        self.net = net
        # Weights files from before the `sampler` field get the shipped sampler (models/protocol.py).
        self.sampler = gibbs_settings(sampler if sampler is not None else packaged_sampler("coconet"))

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device

    @torch.no_grad()
    def infill(
        self,
        pitches: Tensor,
        mask: Tensor,
        settings: GibbsSettings,
        generator: torch.Generator | None,
        *,
        draft_pmax: float | None = None,
    ) -> Tensor:
        """(B, 4, T) pitches with the cells where `mask` is True redrawn by annealed blocked Gibbs
        under `settings` (`sampling.gibbs.gibbs_sample`). With `draft_pmax`, the pitches under
        `mask` are a draft the chain starts from, its first block redrawing that share of them."""
        # Batch norm with its running statistics (not a Gibbs block's), folded into the convolutions.
        net = sampling_net(self.net)
        pitches, mask = pitches.to(self.device), mask.to(self.device)
        radius = net.receptive_radius
        if draft_pmax is None:
            return gibbs_sample(net, pitches, mask, settings, generator, receptive_radius=radius)
        return gibbs_sample(
            net, pitches, mask, settings, generator, pmax=draft_pmax, from_draft=True, receptive_radius=radius
        )

    def generate_examples(
        self, batch: dict[str, Tensor], count: int, generator: torch.Generator
    ) -> list[np.ndarray]:
        """Harmonise the soprano of the first `count` windows: (4, T) int16 pitch arrays.

        Alto, tenor and bass are redrawn under `sampler` (the users' settings) wherever the window
        is inside the piece; the soprano and any padding past the piece's end are kept.
        """
        pitches, valid = batch["pitches"][:count], batch["valid"][:count]
        mask = torch.zeros_like(pitches, dtype=torch.bool)
        mask[:, 1:] = valid.unsqueeze(1)
        harmonised = self.infill(pitches, mask, self.sampler, generator)
        return [window.cpu().numpy().astype(np.int16) for window in harmonised]
