"""Coconet: a convolutional orderless NADE over the four voices of a chorale.

Huang, Cooijmans, Roberts, Courville & Eck (2017), "Counterpoint by Convolution" (ISMIR), and
Magenta's reference code (magenta/models/coconet). The score is an image: time x pitch, one
channel per voice, plus one channel per voice saying which cells are known. Training hides a
random subset of the (time, voice) cells and asks for their pitches back, which teaches every
conditional p(some cells | the others) at once; sampling is annealed blocked Gibbs
(`deepchorale.sampling.gibbs`).

Our data has rests (2-5% of cells) and padded windows; Coconet has no rest class, so rests and
padding are always given as context (all-zero one-hot rows) and never predicted or scored.
"""

from __future__ import annotations

import copy
import functools

import lightning.pytorch as pl
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from deepchorale.data.chorale import REST, VOICES
from deepchorale.data.convert import ONEHOT_LOW
from deepchorale.models.generator import packaged_sampler
from deepchorale.models.optimizers import optimizer_config
from deepchorale.sampling.gibbs import GibbsSettings, gibbs_sample, gibbs_settings, pitch_onehot, uniform


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
            if isinstance(module, nn.Conv2d):  # He initialisation, as Magenta's code
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
        if channels_last:
            self.to(memory_format=torch.channels_last)

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
    in the NHWC layout oneDNN's convolutions prefer. On this project's 2-core CPU (bf16 autocast)
    a 32 x 64 net's forward on a 60 s track runs 3.7x faster (`benchmarks/coconet_sampling_speed.py`).
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


def scored_cells(pitches: Tensor, valid: Tensor) -> Tensor:
    """(B, 4, T) True on the cells Coconet predicts: sounding notes inside the piece."""
    return (pitches != REST) & valid.unsqueeze(1)


def cell_nll(logits: Tensor, pitches: Tensor, cells: Tensor) -> Tensor:
    """(B, 4, T) -log p(true pitch) on `cells`, 0 elsewhere (where there is no true pitch)."""
    target = torch.where(cells, pitches - ONEHOT_LOW, 0).unsqueeze(-1)
    nll = -F.log_softmax(logits.float(), dim=-1).gather(-1, target).squeeze(-1)
    return nll * cells


def random_ranks(cells: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """(B, 4, T): a uniformly random ordering 0..D-1 of each example's `cells`; other cells come after."""
    scores = uniform(tuple(cells.shape), generator, cells.device).masked_fill(~cells, 2.0)
    ranks = scores.flatten(1).argsort(1).argsort(1)
    return ranks.view_as(cells)


def nade_mask(cells: Tensor, fraction: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Hide k of the D cells of each example, k = floor(fraction * D) + 1, chosen at random.

    With `fraction` ~ U[0, 1) this is Coconet's orderless-NADE mask: k uniform on 1..D (Uria et
    al. 2014; Magenta's `OrderlessMaskoutMethod`). Taking `fraction` as an argument lets evaluation
    stratify it.
    """
    counts = cells.flatten(1).sum(1)
    hidden = (fraction * counts).floor().long() + 1
    return cells & (random_ranks(cells, generator) < hidden.view(-1, 1, 1))


def rescaled_nll(logits: Tensor, pitches: Tensor, cells: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
    """Per example D/|mask| * sum of the hidden cells' NLL, and D (the number of scored cells).

    Over k ~ U{1..D} and a random subset, the expectation of the first is the window's NLL summed
    over a random ordering's chain rule (Huang et al. 2017, eq. 3): a fair estimate from one pass.
    """
    counts = cells.flatten(1).sum(1)
    hidden = mask.flatten(1).sum(1).clamp(min=1)
    return cell_nll(logits, pitches, cells & mask).flatten(1).sum(1) * counts / hidden, counts


@torch.no_grad()
def ordering_nll(
    net: nn.Module,
    pitches: Tensor,
    cells: Tensor,
    generator: torch.Generator | None = None,
    cells_per_forward: int = 1,
) -> Tensor:
    """(B,) NLL in nats of each window by the chain rule over one random ordering of its cells.

    Coconet's evaluation (Huang et al. 2017, section 6): reveal the cells one at a time in a random
    order, scoring each given those before it; D model calls per window. `cells_per_forward` > 1
    scores a block of cells from one call given the earlier blocks, treating the cells of a block
    as independent: the exact NLL of a cruder model, so an overestimate of the per-cell figure.
    """
    ranks = random_ranks(cells, generator)
    onehot = pitch_onehot(torch.where(cells, pitches, REST))
    total = torch.zeros(len(pitches), device=pitches.device)
    for first in range(0, int(cells.flatten(1).sum(1).max()), cells_per_forward):
        hidden = cells & (ranks >= first)
        scored = hidden & (ranks < first + cells_per_forward)
        total += cell_nll(net(onehot, hidden), pitches, scored).flatten(1).sum(1)
    return total


class CoconetModule(pl.LightningModule):
    """Trains `CoconetNet` as an orderless NADE and samples it by annealed blocked Gibbs.

    Metrics (nats): train/loss, val/loss, test/loss are the orderless-NADE objective per scored
    cell. {val,test}/nll_note (per (time, voice) cell) and {val,test}/nll_frame (summed over the
    voices of a time step: Coconet's unit, 0.57 on JSB) estimate the NLL under random orderings:
    on val from `val_mask_strata` stratified masks per window (fair but noisy; val/nll_note equals
    val/loss), on test by the exact chain rule (`ordering_nll`, 4 T model calls per batch).
    """

    def __init__(
        self,
        net: CoconetNet,
        optimizer: functools.partial,
        scheduler: functools.partial | None = None,
        compile: bool = False,
        val_mask_strata: int = 8,
        test_cells_per_forward: int = 1,
        eval_seed: int = 0,
        sampler: dict | None = None,
    ) -> None:
        super().__init__()
        # Weights files from before the `sampler` field get the shipped sampler (models/generator.py).
        self.sampler = gibbs_settings(sampler if sampler is not None else packaged_sampler("coconet"))
        self.save_hyperparameters(logger=False, ignore=["net", "optimizer", "scheduler"])
        # Hydra partials are code, not data: kept off the checkpoint so it loads with weights_only=True.
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        self.net = net

    def forward(self, onehot: Tensor, mask: Tensor) -> Tensor:
        return self.net(onehot, mask)

    def setup(self, stage: str) -> None:
        if self.hparams.compile and stage == "fit":
            self.net.compile()  # in place, so state_dict keys stay those of the plain net

    def training_step(self, batch: dict[str, Tensor], batch_idx: int) -> Tensor:
        pitches = batch["pitches"]
        cells = scored_cells(pitches, batch["valid"])
        mask = nade_mask(cells, torch.rand(len(pitches), device=self.device))
        logits = self.net(pitch_onehot(torch.where(cells, pitches, REST)), mask)
        nats, counts = rescaled_nll(logits, pitches, cells, mask)
        # Divide by the batch's cell count, not its window count (as Magenta's loss_total), so the
        # loss reads in nats per note whatever the window length or the share of rests.
        loss = nats.sum() / counts.sum().clamp(min=1)
        self.log("train/loss", loss, on_step=True, on_epoch=True, prog_bar=True, batch_size=len(pitches))
        return loss

    def evaluate(self, batch: dict[str, Tensor], batch_idx: int, stage: str) -> None:
        # A fixed seed per batch: the same masks and orderings every epoch, so changes are the model's.
        generator = torch.Generator().manual_seed(self.hparams.eval_seed + batch_idx)
        pitches = batch["pitches"]
        cells = scored_cells(pitches, batch["valid"])
        onehot = pitch_onehot(torch.where(cells, pitches, REST))
        strata = self.hparams.val_mask_strata
        estimate = torch.zeros(len(pitches), device=self.device)
        for stratum in range(strata):
            fraction = (stratum + uniform((len(pitches),), generator, self.device)) / strata
            mask = nade_mask(cells, fraction, generator)
            estimate += rescaled_nll(self.net(onehot, mask), pitches, cells, mask)[0] / strata
        notes = max(int(cells.sum()), 1)
        self.log(f"{stage}/loss", estimate.sum() / notes, batch_size=notes, sync_dist=True)
        if stage == "test":
            per_window = ordering_nll(
                self.net, pitches, cells, generator, self.hparams.test_cells_per_forward
            )
        else:
            per_window = estimate
        frames = max(int(cells.any(1).sum()), 1)  # time steps with at least one note
        self.log(f"{stage}/nll_note", per_window.sum() / notes, batch_size=notes, sync_dist=True)
        self.log(f"{stage}/nll_frame", per_window.sum() / frames, batch_size=frames, sync_dist=True)

    def validation_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        self.evaluate(batch, batch_idx, "val")

    def test_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        self.evaluate(batch, batch_idx, "test")

    def configure_optimizers(self):
        return optimizer_config(self.parameters(), self.optimizer_factory, self.scheduler_factory)

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
        if draft_pmax is None:
            return gibbs_sample(net, pitches, mask, settings, generator)
        return gibbs_sample(net, pitches, mask, settings, generator, pmax=draft_pmax, from_draft=True)

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
