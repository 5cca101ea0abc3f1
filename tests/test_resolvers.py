import torch
from omegaconf import OmegaConf

import deepchorale.resolvers  # noqa: F401  (registers ${best_precision:})
from deepchorale.precision import best_precision, cpu_has_bf16


def test_best_precision_follows_the_hardware():
    expected = "bf16-mixed" if cpu_has_bf16() else "32-true"
    if not torch.cuda.is_available():
        assert best_precision() == expected
    assert OmegaConf.create({"p": "${best_precision:}"}).p == best_precision()
