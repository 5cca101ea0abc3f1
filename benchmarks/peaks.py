"""The machine's matmul peak and memory bandwidth at the moment, for benchmarks that quote their
rates as a share of them."""

from __future__ import annotations

import time

import torch


def timed(function, *args) -> tuple[float, float]:
    """(wall seconds, CPU seconds per thread) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    function(*args)
    return time.perf_counter() - wall, (time.process_time() - cpu) / torch.get_num_threads()


def matmul_peak(dtype: torch.dtype, size: int = 2048, repeats: int = 3) -> tuple[float, float]:
    """(wall, CPU-time) FLOP/s of the best of `repeats` size x size matmuls."""
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    a @ b
    times = [timed(torch.matmul, a, b) for _ in range(repeats)]
    return 2 * size**3 / min(t[0] for t in times), 2 * size**3 / min(t[1] for t in times)


def copy_bandwidth(gibibytes: float = 1.0, repeats: int = 3) -> float:
    """Bytes/s read plus written by the best of `repeats` copies of a tensor too large for any cache:
    the rate a step's elementwise passes (batch norm, ReLU, their gradients) stream at, at best."""
    source = torch.ones(int(gibibytes * 2**30) // 4)
    target = torch.empty_like(source)
    target.copy_(source)
    seconds = min(timed(target.copy_, source)[0] for _ in range(repeats))
    return 2 * source.numel() * 4 / seconds
