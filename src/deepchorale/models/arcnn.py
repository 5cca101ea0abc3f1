"""AR-CNN: DeepComposer's U-Net that learns which pixels of a piano roll to edit.

AWS DeepComposer (2020), `ar-cnn/` in aws-samples/aws-deepcomposer-samples (model.py,
augmentation.py, losses.py, the AutoRegressiveCNN notebook). All four voices are merged into one
binary roll (time x 128 pitches). Training corrupts a real roll (removes a random share of its
notes, adds random ones) and asks the net for a distribution over pixels that is uniform on the
pixels that differ from the original: the edits that would undo the damage (`training/arcnn_objective.py`).
Generation applies such edits one at a time (`deepchorale.sampling.arcnn_resample`).

Differences from the reference, each on purpose:
- The KL loss is normalised per window. The reference flattens the whole batch into one softmax and
  one target distribution, so windows compete for probability mass and a window with many
  corrupted pixels outweighs one with few; per window, each is its own edit distribution.
- Padding past a piece's end (`valid` False) is never corrupted, never a target and is left out of
  the softmax.
- Dropout draws one random byte per element instead of one float (`ByteDropout`); same statistics.
- Three rewrites compute the same function faster on CPU: the decoder never materialises the
  concatenation [upsampled, skip] (`Up`), normalises the upsampled half before upsampling, and the
  bottleneck's convolutions run as matmuls (`PatchConv3x3`).
- The reference makes 8 corrupted copies of each window per batch; here each batch holds distinct
  windows (random crops and transpositions) and the corruption is drawn afresh every step.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from deepchorale.data.convert import pitches_from_pianoroll, to_pianoroll
from deepchorale.sampling.arcnn_resample import ResampleSettings, resample


class ByteDropout(nn.Module):
    """Elementwise dropout from one random byte per element: keep where byte < round(256 (1 - p)).

    torch's CPU dropout draws a float per element through `bernoulli_`: ~10x slower than taking
    eight bytes from each 64-bit draw. At reference size (bf16) the layers' forward and backward
    take 0.07 s of CPU time a step instead of 0.16 s. The keep probability is rounded to a multiple
    of 1/256 (exact for the reference's 0.5) and the survivors are scaled by the rounded value, so
    the layer stays unbiased.
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p
        self.threshold = round(256 * (1 - p))
        if not 0 < self.threshold <= 256:
            raise ValueError(f"dropout probability {p} leaves nothing to keep")

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0:
            return x
        if not (x.is_contiguous() or x.is_contiguous(memory_format=torch.channels_last)):
            x = x.contiguous()
        words = torch.randint(
            -(2**63), 2**63 - 1, ((x.numel() + 7) // 8,), dtype=torch.int64, device=x.device
        )
        # Lay the bytes out with x's own strides (channels-last or not), so no op below reorders.
        random_bytes = words.view(torch.uint8)[: x.numel()].as_strided(x.shape, x.stride())
        scale = torch.tensor(256 / self.threshold, dtype=x.dtype, device=x.device)
        mask = torch.where(random_bytes < self.threshold, scale, torch.zeros_like(scale))
        return x * mask


def conv3x3(in_channels: int, out_channels: int) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 3, padding=1)


def double_conv(in_channels: int, out_channels: int, conv=conv3x3) -> nn.Sequential:
    return nn.Sequential(
        conv(in_channels, out_channels),
        nn.ReLU(inplace=True),
        conv(out_channels, out_channels),
        nn.ReLU(inplace=True),
    )


class Down(nn.Module):
    """Two convs (kept for the skip), then 2x2 max pooling, dropout and batch norm, as the reference."""

    def __init__(self, in_channels: int, out_channels: int, dropout: float, batch_norm: bool) -> None:
        super().__init__()
        self.convs = double_conv(in_channels, out_channels)
        self.dropout = ByteDropout(dropout) if dropout else nn.Identity()
        self.norm = nn.BatchNorm2d(out_channels) if batch_norm else nn.Identity()

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        skip = self.convs(x)
        return skip, self.norm(self.dropout(F.max_pool2d(skip, 2)))


class PatchConv3x3(nn.Conv2d):
    """nn.Conv2d(in, out, 3, padding=1), computed on images of up to 16 pixels as one matmul over
    3 x 3 patches (im2col).

    On the reference bottleneck's 4 x 4 images with 512-1024 channels, oneDNN's weight-gradient
    kernel runs at a quarter to a half of the matmul rate on 2 cores; as one matmul the
    bottleneck trains 1.3x faster (bf16). From 8 x 8 up oneDNN is the faster. Same parameters,
    same function either way.
    """

    max_pixels = 16

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        batch, channels, height, width = x.shape
        if height * width > self.max_pixels:
            return super().forward(x)
        padded = F.pad(x.permute(0, 2, 3, 1), (0, 0, 1, 1, 1, 1))
        patches = torch.cat(
            [padded[:, i : i + height, j : j + width] for i in range(3) for j in range(3)], -1
        )
        weight = self.weight.permute(2, 3, 1, 0).reshape(9 * channels, -1)
        y = torch.addmm(self.bias, patches.reshape(-1, 9 * channels), weight)
        return y.view(batch, height, width, -1).permute(0, 3, 1, 2)


class Up(nn.Module):
    """Nearest 2x upsampling, concatenation with the skip, batch norm, two convs, dropout.

    Computed without the concatenation: a conv over [a, b] is a conv over a plus a conv over b,
    and batch norm is per channel. Each half gets its own norm and its own part of the first
    conv's kernel (same parameter count), and the upsampled half is normalised before the
    upsampling: nearest upsampling repeats every value four times, so its batch statistics, and
    the output, are unchanged at a quarter of the cost. This saves the copy into the concatenated
    tensor and, in the backward pass, work on strided channel slices of its gradient.
    """

    def __init__(self, in_channels: int, out_channels: int, dropout: float, batch_norm: bool) -> None:
        super().__init__()
        self.norm_up = nn.BatchNorm2d(in_channels) if batch_norm else nn.Identity()
        self.norm_skip = nn.BatchNorm2d(out_channels) if batch_norm else nn.Identity()
        self.conv_up = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.conv_skip = conv3x3(out_channels, out_channels)
        self.conv = conv3x3(out_channels, out_channels)
        self.dropout = ByteDropout(dropout) if dropout else nn.Identity()

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        up = F.interpolate(self.norm_up(x), scale_factor=2.0, mode="nearest")
        h = F.relu_(self.conv_up(up).add_(self.conv_skip(self.norm_skip(skip))))
        return self.dropout(F.relu_(self.conv(h)))


class ArcnnNet(nn.Module):
    """(B, 1, T, P) roll -> (B, 1, T, P) logits, one per pixel; the reference U-Net for any T and P.

    `depth` levels of `base_filters * 2**level` filters and a bottleneck of `base_filters *
    2**depth` (reference: 5 levels, 32 -> 512, 1024; 31.4 M parameters). As the reference's flags:
    dropout after every encoder level but the first and every decoder level but the last, batch
    norm on every level but the deepest encoder and the last decoder level. Inputs are zero-padded
    to a multiple of 2**depth in both axes and the logits cropped back.
    """

    def __init__(self, depth: int = 5, base_filters: int = 32, dropout: float = 0.5, batch_norm: bool = True):
        super().__init__()
        if depth < 1:
            raise ValueError("depth must be at least 1")
        self.depth = depth
        filters = [base_filters * 2**level for level in range(depth + 1)]
        self.downs = nn.ModuleList(
            Down(
                filters[level - 1] if level else 1,
                filters[level],
                dropout * (level > 0),
                batch_norm and level < depth - 1,
            )
            for level in range(depth)
        )
        self.bottleneck = double_conv(filters[depth - 1], filters[depth], PatchConv3x3)
        self.ups = nn.ModuleList(
            Up(filters[level + 1], filters[level], dropout * (level > 0), batch_norm and level > 0)
            for level in reversed(range(depth))
        )
        self.head = nn.Conv2d(base_filters, 1, 1)

    def forward(self, roll: Tensor) -> Tensor:
        steps, pitches = roll.shape[-2:]
        multiple = 2**self.depth
        x = F.pad(roll, (0, -pitches % multiple, 0, -steps % multiple))
        skips = []
        for down in self.downs:
            skip, x = down(x)
            skips.append(skip)
        x = self.bottleneck(x)
        for up, skip in zip(self.ups, reversed(skips)):
            x = up(x, skip)
        return self.head(x)[..., :steps, :pitches]


def arcnn_logits(net: ArcnnNet, roll: Tensor, channels_last: bool) -> Tensor:
    """(B, T, P) roll -> (B, T, P) logits; channels-last lets oneDNN (CPU) and cuDNN pick their
    fastest convolutions (`benchmarks/train_throughput.py`, lever no-channels-last)."""
    x = roll.unsqueeze(1)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return net(x).squeeze(1)


class Arcnn(nn.Module):
    """A trained AR-CNN as compose holds it: edits rolls one pixel at a time (`infill`, the
    `Infiller` protocol, with DeepComposer's four knobs in `ResampleSettings`)."""

    def __init__(self, net: ArcnnNet, channels_last: bool = True) -> None:
        super().__init__()
        self.net = net.to(memory_format=torch.channels_last) if channels_last else net
        self.channels_last = channels_last

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device

    def forward(self, roll: Tensor) -> Tensor:
        return arcnn_logits(self.net, roll, self.channels_last)

    @torch.no_grad()
    def infill(
        self, pitches: Tensor, mask: Tensor, settings: ResampleSettings, generator: torch.Generator | None
    ) -> Tensor:
        """(B, 4, T) pitches: the merged roll resampled under `settings` at the steps holding a
        hidden cell, read back into four voices; the known cells are kept exactly as given."""
        rolls = np.stack([to_pianoroll(window) for window in pitches.cpu().numpy()])
        editable = mask.any(1).unsqueeze(-1).to(self.device)  # (B, T, 1): whole steps may change
        was_training = self.net.training
        self.net.eval()  # batch norm must use its running statistics, dropout must be off
        try:
            edited = resample(
                self,
                torch.from_numpy(rolls.astype(np.float32)).to(self.device),
                iterations=settings.iterations,
                max_notes_to_add=settings.max_notes_to_add,
                max_remove_fraction=settings.max_remove_fraction,
                temperature=settings.temperature,
                generator=generator,
                editable=editable,
            )
        finally:
            self.net.train(was_training)
        voices = np.stack([pitches_from_pianoroll(roll) for roll in edited.bool().cpu().numpy()])
        generated = torch.from_numpy(voices.astype(np.int64)).to(pitches.device)
        return torch.where(mask.to(pitches.device), generated, pitches)
