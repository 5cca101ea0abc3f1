"""The convolution kernels of a Coconet training step, each timed alone: the ceiling on its speed.

    .venv/bin/python benchmarks/conv_kernels.py [--model coconet-32x64] [--threads 2] [--out ...]

Nearly all of a Coconet training step's FLOPs are in its 3x3 convolutions: per layer a forward,
a backward to the input (backward-data; not for the input layer, whose input needs no gradient)
and a backward to the weights (backward-weights), each as many FLOPs as the forward. Each of them
runs here alone, through the aten ops the step's autograd calls (oneDNN's kernels), at every
distinct layer shape of a `train_rows.MODELS` row (its batch, crop, widths and layout), in both
precisions, with its rate as a share of the compute peak (`peaks.py`) measured right after.

`step_ceiling_share_of_peak` sums the kernels over all the net's layers: the share of the peak a
training step would reach if batch norm, ReLU, the residual adds, the loss and the optimiser took
no time at all. No setting of the step can beat it; only faster convolution kernels can.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections import Counter
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from deepchorale.data.convert import ONEHOT_PITCHES
from deepchorale.models.coconet import CoconetNet
from peaks import compute_peak
from train_rows import MODELS

KERNELS = ("forward", "backward_data", "backward_weights")


def median_seconds(function, repeats: int) -> float:
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def kernel_seconds(
    in_channels: int, out_channels: int, batch: int, steps: int, dtype, channels_last: bool, repeats: int
) -> dict[str, float]:
    """Median seconds of each of `KERNELS` for one same-padded 3x3 convolution of this shape."""
    layout = torch.channels_last if channels_last else torch.contiguous_format
    x = torch.randn(batch, in_channels, steps, ONEHOT_PITCHES, dtype=dtype).contiguous(memory_format=layout)
    weight = torch.randn(out_channels, in_channels, 3, 3, dtype=dtype).contiguous(memory_format=layout)
    grad = torch.randn_like(F.conv2d(x, weight, padding=1))

    def backward(data: bool, weights: bool):
        return torch.ops.aten.convolution_backward(
            grad, x, weight, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1, [data, weights, False]
        )

    functions = {
        "forward": lambda: F.conv2d(x, weight, padding=1),
        "backward_data": lambda: backward(True, False),
        "backward_weights": lambda: backward(False, True),
    }
    return {name: median_seconds(function, repeats) for name, function in functions.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="coconet-32x64", choices=[m for m in MODELS if "coconet" in m])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", default="benchmarks/results/conv_kernels.json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    spec = MODELS[args.model]
    net = CoconetNet(**spec["net"])
    channels_last = spec["net"].get("channels_last", False)
    input_shape = (net.input_conv.in_channels, net.input_conv.out_channels)
    shapes = Counter((c.in_channels, c.out_channels) for c in net.modules() if isinstance(c, nn.Conv2d))
    batch, steps = spec["batch"], spec["steps"]
    result = {
        "benchmark": "conv_kernels",
        "model": args.model,
        "machine": {
            "cpus": os.cpu_count(),
            "threads": torch.get_num_threads(),
            "processor": platform.processor() or platform.machine(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "torch": torch.__version__,
        },
        "batch": batch,
        "steps": steps,
        "channels_last": channels_last,
    }
    for precision, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        layers, step_flops, step_seconds = [], 0, 0.0
        for shape, count in shapes.items():
            seconds = kernel_seconds(*shape, batch, steps, dtype, channels_last, args.repeats)
            peak = compute_peak(dtype)[0]
            flops = 2 * batch * steps * ONEHOT_PITCHES * shape[0] * shape[1] * 9
            # The input layer's input is data: autograd computes no gradient for it.
            used = [k for k in KERNELS if not (k == "backward_data" and shape == input_shape)]
            step_flops += count * flops * len(used)
            step_seconds += count * sum(seconds[k] for k in used)
            shares = {k: flops / s / peak for k, s in seconds.items()}
            layers.append(
                {
                    "in_channels": shape[0],
                    "out_channels": shape[1],
                    "layers": count,
                    "gflop_per_kernel": flops / 1e9,
                    "ms": {k: round(1e3 * s, 2) for k, s in seconds.items()},
                    "peak_tflops": round(peak / 1e12, 3),
                    "share_of_peak": {k: round(share, 3) for k, share in shares.items()},
                }
            )
            print(f"{precision} {shape}: " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()), flush=True)
        ceiling = (
            step_flops / step_seconds / statistics.median(layer["peak_tflops"] * 1e12 for layer in layers)
        )
        result[precision] = {
            "layers": layers,
            "step_conv_gflop": step_flops / 1e9,
            "step_conv_s": step_seconds,
            "step_ceiling_share_of_peak": ceiling,
        }
        print(f"{precision}: conv kernels {step_seconds:.3f} s a step, at most {ceiling:.0%} of the peak")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
