"""Which floating-point precision runs fastest, numerically sound, on this machine: one decision for
training (`${best_precision:}`), sampling (compose's stages) and scoring (the judges).

bf16 where the hardware has bf16 units: CPUs with AMX or AVX512-BF16 (several times the fp32 matmul
rate on this project's 2-core machines, `benchmarks/peaks.py`) and GPUs that support it; fp16
mixed precision for training on older GPUs; fp32 elsewhere.
"""

from __future__ import annotations

from contextlib import nullcontext
from functools import cache
from pathlib import Path

import torch

BF16_CPU_FLAGS = {"amx_bf16", "avx512_bf16"}


@cache
def cpu_has_bf16() -> bool:
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.is_file():
        return False
    for line in cpuinfo.read_text().splitlines():
        if line.startswith("flags"):
            return bool(BF16_CPU_FLAGS & set(line.split()))
    return False


def bf16_available(device: torch.device) -> bool:
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and cpu_has_bf16()


def inference_dtype(device: torch.device) -> torch.dtype:
    """The precision compose's stages compute in on `device`: bf16 where it has bf16 units, else fp32."""
    return torch.bfloat16 if bf16_available(device) else torch.float32


def inference_autocast(device: torch.device):
    """bf16 autocast for inference where `device` has bf16 units; a no-op context elsewhere."""
    if bf16_available(device):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return nullcontext()


def best_precision() -> str:
    """Lightning's `precision` for training here."""
    if torch.cuda.is_available():
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    return "bf16-mixed" if cpu_has_bf16() else "32-true"
