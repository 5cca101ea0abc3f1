"""benchmarks/compose_latency.py: the FLOPs it charges each stage, against the layers' arithmetic."""

import importlib.util
import sys

import torch
from torch import nn

from deepchorale.models.coconet import sampling_net
from deepchorale.models.weights import load_model
from tests.conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))  # the script imports its sibling `peaks`
spec = importlib.util.spec_from_file_location("compose_latency", REPO / "benchmarks/compose_latency.py")
script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(script)


def test_a_coconet_forward_pass_is_charged_its_convolutions_even_once_folded_for_sampling():
    coconet = load_model(REPO / "experiments/pretrained/coconet_32x64_gpu/weights.pt", kind="coconet")
    counter = script.count_flops([coconet])
    steps, pitches, width = 16, 46, 64
    hidden = torch.ones(1, 4, steps, dtype=torch.bool)
    with torch.no_grad():
        sampling_net(coconet.net)(torch.zeros(1, 4, steps, pitches), hidden)
    per_cell = 8 * width * 9 + 30 * width * width * 9 + width * 4 * 9  # input, 30 hidden, output convs
    assert counter["total"] == 2 * per_cell * steps * pitches


def test_linear_and_one_dimensional_layers_are_charged_per_output():
    model = nn.Sequential(nn.Conv1d(3, 5, 7, padding=3), nn.Flatten(), nn.Linear(5 * 10, 2))
    counter = script.count_flops([model])
    model(torch.zeros(4, 3, 10))
    assert counter["total"] == 2 * (4 * 5 * 10 * 3 * 7 + 4 * 2 * 50)
