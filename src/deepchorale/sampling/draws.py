"""Random draws every sampler and training objective shares, seeded by the caller's generator."""

from __future__ import annotations

import torch
from torch import Tensor


def uniform(shape: tuple[int, ...], generator: torch.Generator | None, device: torch.device) -> Tensor:
    """U[0, 1) numbers drawn on the generator's own device, so a seed means the same draws anywhere."""
    source = generator.device if generator is not None else device
    return torch.rand(shape, generator=generator, device=source).to(device)
