"""The machine's compute peak and memory bandwidth at the moment, for benchmarks that quote their
rates as a share of them.

A peak is only a peak if no kernel of the run beats it. One square matmul does not do that on
AMX: on the 2-core Intel machines of this kind (2026-12-05), a 2048^2 bf16 matmul ran 2.0-2.2
TFLOP/s while oneDNN's 3x3 NHWC convolution at 128 channels ran 2.9-3.2 and a tall-skinny
8192 x 576 x 512 matmul 2.9: the matrix units' blocking favours some shapes. So the peak is the
best rate over `PEAK_KERNELS`, the shapes the benchmarked models are made of. In fp32 the shapes
agree within 15 %.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F


def timed(function, *args) -> tuple[float, float]:
    """(wall seconds, CPU seconds per thread) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    function(*args)
    return time.perf_counter() - wall, (time.process_time() - cpu) / torch.get_num_threads()


def matmul(m: int, k: int, n: int, dtype: torch.dtype):
    """(function, its arguments, FLOPs) of an (m, k) @ (k, n) matmul."""
    return torch.matmul, (torch.randn(m, k, dtype=dtype), torch.randn(k, n, dtype=dtype)), 2 * m * k * n


def conv3x3(batch: int, channels: int, height: int, width: int, dtype: torch.dtype):
    """(function, its arguments, FLOPs) of a same-padded 3x3 NHWC convolution, channels to channels."""
    x = torch.randn(batch, channels, height, width, dtype=dtype).contiguous(memory_format=torch.channels_last)
    weight = torch.randn(channels, channels, 3, 3, dtype=dtype).contiguous(memory_format=torch.channels_last)
    flops = 2 * batch * height * width * channels * channels * 9
    return lambda a, w: F.conv2d(a, w, padding=1), (x, weight), flops


PEAK_KERNELS = {
    "matmul 2048x2048x2048": lambda dtype: matmul(2048, 2048, 2048, dtype),
    "matmul 8192x576x512": lambda dtype: matmul(8192, 576, 512, dtype),  # K: a 3x3 conv over 64 channels
    "matmul 8192x256x512": lambda dtype: matmul(8192, 256, 512, dtype),
    "conv3x3 NHWC 8x128x64x46": lambda dtype: conv3x3(8, 128, 64, 46, dtype),  # a Coconet layer, wider
}


def kernel_rates(
    dtype: torch.dtype, repeats: int = 3, span_s: float = 0.02
) -> dict[str, tuple[float, float]]:
    """Per `PEAK_KERNELS` entry, the (wall, CPU-time) FLOP/s of the best of `repeats` timings, each of
    enough back-to-back calls to last about `span_s`: a bf16 kernel takes 2-3 ms here, too short
    for process CPU time, which then reads one thread's idle wait as speed."""
    rates = {}
    for name, make in PEAK_KERNELS.items():
        function, args, flops = make(dtype)
        calls = max(1, round(span_s / timed(function, *args)[0]))

        def run(function=function, args=args, calls=calls):
            for _ in range(calls):
                function(*args)

        times = [timed(run) for _ in range(repeats)]
        rates[name] = (calls * flops / min(t[0] for t in times), calls * flops / min(t[1] for t in times))
    return rates


def compute_peak(dtype: torch.dtype, repeats: int = 3) -> tuple[float, float]:
    """(wall, CPU-time) FLOP/s: the best over `PEAK_KERNELS`."""
    rates = kernel_rates(dtype, repeats).values()
    return max(r[0] for r in rates), max(r[1] for r in rates)


def copy_bandwidth(gibibytes: float = 1.0, repeats: int = 3) -> float:
    """Bytes/s read plus written by the best of `repeats` copies of a tensor too large for any cache:
    the rate a step's elementwise passes (batch norm, ReLU, their gradients) stream at, at best."""
    source = torch.ones(int(gibibytes * 2**30) // 4)
    target = torch.empty_like(source)
    target.copy_(source)
    seconds = min(timed(target.copy_, source)[0] for _ in range(repeats))
    return 2 * source.numel() * 4 / seconds
