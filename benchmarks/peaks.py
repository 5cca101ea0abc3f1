"""The machine's matmul peak at the moment, for benchmarks that quote their rates as a share of it."""

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
