"""OmegaConf resolvers the configs use; importing this module registers them.

`${project_root:}` is the repository checkout (for shipped weights under experiments/).

`${best_precision:}` picks the fastest numerically sound training precision for this machine:
bf16 mixed precision on CPUs with bf16 instructions (AMX or AVX512-BF16: several times the fp32
matmul rate here) and on GPUs that support it, fp16 mixed on older GPUs, fp32 elsewhere.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import torch
from omegaconf import OmegaConf

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


def best_precision() -> str:
    if torch.cuda.is_available():
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    return "bf16-mixed" if cpu_has_bf16() else "32-true"


def project_root() -> str:
    """The checkout this package runs from (`pip install -e .`): where experiments/ and its shipped
    weights live, whatever the working directory."""
    return str(Path(__file__).resolve().parents[2])


OmegaConf.register_new_resolver("best_precision", best_precision, replace=True)
OmegaConf.register_new_resolver("project_root", project_root, replace=True)
