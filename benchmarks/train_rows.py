"""The rows `train_throughput.py` times: each model at its benchmark size, and the variants of it
that each take one speed-up away ("plain" takes all of them: the straightforward port) or, for
torch.compile, add one.

`arcnn-ref` is DeepComposer's AR-CNN at its reference size (depth 5, 32 filters, 128 x 128 rolls,
batch 32), the one to compare with DeepComposer's Keras code; `coconet-32x64` is compose's
harmoniser (issue #10's pick) in the NHWC layout it trains and samples in.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import torch
from torch import nn

from deepchorale.data.datamodule import ChoraleDataModule
from deepchorale.models.arcnn import ArcnnNet, ByteDropout, PatchConv3x3, Up, double_conv
from deepchorale.models.coconet import CoconetNet
from deepchorale.training.arcnn import ArcnnModule
from deepchorale.training.coconet import CoconetModule

MODELS = {
    "arcnn-ref": {"net": {"depth": 5, "base_filters": 32}, "batch": 32, "steps": 128},
    "arcnn-small": {"net": {"depth": 4, "base_filters": 16}, "batch": 32, "steps": 128},
    "coconet-small": {
        "net": {"num_layers": 16, "num_filters": 64, "residual_period": 2, "batch_norm": True},
        "batch": 32,
        "steps": 64,
    },
    # compose's harmoniser (issue #10's pick), in the NHWC layout its sampling uses
    "coconet-32x64": {
        "net": {
            "num_layers": 32,
            "num_filters": 64,
            "residual_period": 2,
            "batch_norm": True,
            "channels_last": True,
        },
        "batch": 32,
        "steps": 64,
    },
}
SPEEDUPS = (
    "channels_last",
    "byte_dropout",
    "split_decoder",
    "patch_bottleneck",
    "fused_adam",
    "retained_memory",
)
# Each ablation takes away the speed-ups it names; "plain" is the straightforward port.
ABLATIONS = {
    "default": (),
    "no-channels-last": ("channels_last",),
    "torch-dropout": ("byte_dropout",),
    "concat-decoder": ("split_decoder",),
    "conv-bottleneck": ("patch_bottleneck",),
    "foreach-adam": ("fused_adam",),
    "system-allocator": ("retained_memory",),
    "plain": SPEEDUPS,
}
COCONET_ABLATIONS = {
    "default": (),
    "no-channels-last": ("channels_last",),
    "system-allocator": ("retained_memory",),
}
# torch.compile is not a default (the train configs' `model.compile: false`): timed as an addition,
# its compile time counted, on the two sizes that matter (the Keras comparison, compose's net).
COMPILED_ROWS = ("arcnn-ref", "coconet-32x64")


class ConcatUp(nn.Module):
    """The reference's decoder block as written: upsample, concatenate, batch norm, two convs, dropout."""

    def __init__(self, up: Up) -> None:
        super().__init__()
        in_channels, out_channels = up.conv_up.in_channels, up.conv.out_channels
        batch_norm = isinstance(up.norm_up, nn.BatchNorm2d)
        self.norm = nn.BatchNorm2d(in_channels + out_channels) if batch_norm else nn.Identity()
        self.convs = double_conv(in_channels + out_channels, out_channels)
        self.dropout = up.dropout

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        up = nn.functional.interpolate(x, scale_factor=2.0, mode="nearest")
        return self.dropout(self.convs(self.norm(torch.cat([up, skip], dim=1))))


def replace_modules(net: nn.Module, kind: type, make) -> None:
    for parent in list(net.modules()):
        for child_name, child in parent.named_children():
            if isinstance(child, kind):
                setattr(parent, child_name, make(child))


def build(name: str, without: tuple[str, ...] = (), compiled: bool = False):
    """The LightningModule for a benchmark row without the named speed-ups, its net
    `torch.compile`d with `compiled` (as `model.compile=true` does in training)."""
    module = build_eager(name, without)
    if compiled:
        module.net.compile()
    return module


def build_eager(name: str, without: tuple[str, ...]):
    spec = MODELS[name]
    optimizer = functools.partial(torch.optim.Adam, lr=1e-3, fused="fused_adam" not in without)
    if name.startswith("coconet"):
        net = {**spec["net"], "channels_last": spec["net"].get("channels_last", False)}
        net["channels_last"] &= "channels_last" not in without
        return CoconetModule(CoconetNet(**net), optimizer)
    net = ArcnnNet(**spec["net"])
    if "byte_dropout" in without:
        replace_modules(net, ByteDropout, lambda old: nn.Dropout(old.p))
    if "split_decoder" in without:
        replace_modules(net, Up, ConcatUp)
    if "patch_bottleneck" in without:
        replace_modules(
            net, PatchConv3x3, lambda old: nn.Conv2d(old.in_channels, old.out_channels, 3, padding=1)
        )
    return ArcnnModule(net, optimizer, channels_last="channels_last" not in without)


def row_variants(name: str, precision: str) -> dict[str, tuple[str, ...]]:
    """The variants timed for a row: its ablations (AR-CNN's in fp32 trimmed, a step is 3x slower)."""
    if name.startswith("arcnn"):
        variants = dict(ABLATIONS)
        if name != "arcnn-ref":
            variants = {"default": (), "system-allocator": ("retained_memory",)}
        elif precision == "fp32":
            variants = {key: ABLATIONS[key] for key in ("default", "system-allocator", "plain")}
    else:
        variants = dict(COCONET_ABLATIONS)
        if not MODELS[name]["net"].get("channels_last"):
            del variants["no-channels-last"]
    if name in COMPILED_ROWS:
        variants["compiled"] = ()
    return variants


CACHE_DIR = Path(
    os.environ.get("DEEPCHORALE_CACHE", Path(__file__).resolve().parents[1] / ".cache" / "deepchorale")
)


def real_batch(batch_size: int, steps: int) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    data = ChoraleDataModule(
        cache_dir=str(CACHE_DIR), views=["pitches", "pianoroll"], crop_length=steps, batch_size=batch_size
    )
    data.setup()
    return next(iter(data.train_dataloader()))


def train_step(module, optimizer, batch, precision: str) -> None:
    with torch.autocast("cpu", torch.bfloat16, enabled=precision == "bf16-mixed"):
        loss = module.training_step(batch, 0)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
