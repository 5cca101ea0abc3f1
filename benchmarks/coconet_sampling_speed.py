"""Coconet's forward pass as Gibbs sampling runs it: the plain eval net against `sampling_net`.

    .venv/bin/python benchmarks/coconet_sampling_speed.py [--steps 512] [--out ...]

Each Gibbs step of `compose` is one forward pass of the harmoniser over the whole track (batch 1,
a 60 s track is ~512 sixteenth steps) and each revise round one pass over `revise.proposals`
windows. Per shipped Coconet, per batch, at compose's precision (bf16 autocast on machines with
bf16 units, else fp32, `precision.py`): milliseconds per
forward of the eval-mode net as trained (NCHW, batch norm applied), of the same net in NHWC only,
and of `models.coconet.sampling_net` (batch norm folded into the convolutions, NHWC). The peer is
the plain net timed in the same run (`speedup` = plain / lever); `share_of_peak` is the achieved
FLOP rate over the compute peak at that precision (`peaks.py`) measured right after, so the figures
carry across machines.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import time
from pathlib import Path

import torch
from torch import nn

from deepchorale.models.coconet import CoconetNet, sampling_net
from deepchorale.models.weights import load_model
from deepchorale.precision import inference_autocast, inference_dtype
from peaks import compute_peak

MODELS = ("coconet_hour", "coconet_32x64_gpu")
PITCHES = 46


def forward_ms(net: CoconetNet, batch: int, steps: int, repeats: int) -> float:
    """Median milliseconds of one forward pass on a half-masked batch."""
    generator = torch.Generator().manual_seed(0)
    onehot = torch.zeros(batch, 4, steps, PITCHES)
    onehot[..., 20] = 1
    mask = torch.rand(batch, 4, steps, generator=generator) < 0.5
    times = []
    with torch.no_grad(), inference_autocast(torch.device("cpu")):
        net(onehot, mask)
        for _ in range(repeats):
            start = time.perf_counter()
            net(onehot, mask)
            times.append(time.perf_counter() - start)
    return 1e3 * sorted(times)[len(times) // 2]


def forward_flops(net: CoconetNet, batch: int, steps: int) -> float:
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    return sum(2 * c.in_channels * c.out_channels * 9 * steps * PITCHES * batch for c in convs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=512, help="time steps (16ths): 512 ~ a 60 s track")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--out", default="benchmarks/results/coconet_sampling_speed.json")
    args = parser.parse_args()
    peak_dtype = inference_dtype(torch.device("cpu"))
    rows = []
    for name in MODELS:
        net = load_model(Path("experiments/pretrained") / name / "weights.pt").net.eval()
        nhwc = copy.deepcopy(net).to(memory_format=torch.channels_last)
        nhwc.channels_last = True
        levers = {"plain": net, "nhwc": nhwc, "sampling_net": sampling_net(net)}
        for batch in args.batches:
            ms = {lever: forward_ms(m, batch, args.steps, args.repeats) for lever, m in levers.items()}
            peak = compute_peak(peak_dtype)[0]  # wall-clock FLOP/s
            flops = forward_flops(net, batch, args.steps)
            rows.append({
                "model": name,
                "batch": batch,
                "forward_ms": ms,
                "speedup": {lever: ms["plain"] / value for lever, value in ms.items()},
                "peak_tflops": peak / 1e12,
                "share_of_peak": {lever: flops / (value / 1e3) / peak for lever, value in ms.items()},
            })  # fmt: skip
            print(f"{name} batch {batch}: " + ", ".join(f"{k} {v:.1f} ms" for k, v in ms.items()))
    result = {
        "benchmark": "coconet_sampling_speed",
        "machine": {"cpus": len(os.sched_getaffinity(0)), "threads": torch.get_num_threads(),
                    "load_average": os.getloadavg()},
        "precision": str(peak_dtype).removeprefix("torch."),
        "steps": args.steps,
        "rows": rows,
    }  # fmt: skip
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
