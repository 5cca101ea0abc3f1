"""Coconet and the AR-CNN are generators: the protocol compose and tracking type against."""

import functools

import numpy as np
import pytest
import torch

from deepchorale.compose.settings import default_stage_settings
from deepchorale.data.chorale import REST
from deepchorale.data.convert import to_pianoroll
from deepchorale.models.arcnn import ArcnnNet
from deepchorale.models.coconet import CoconetNet
from deepchorale.models.protocol import ExampleWriter
from deepchorale.training.arcnn import ArcnnModule
from deepchorale.training.coconet import CoconetModule


def tiny_generators() -> dict[str, ExampleWriter]:
    torch.manual_seed(0)
    adam = functools.partial(torch.optim.Adam, lr=1e-3)
    return {
        "coconet": CoconetModule(CoconetNet(num_layers=2, num_filters=8), adam),
        "arcnn": ArcnnModule(ArcnnNet(depth=2, base_filters=4), adam),
    }


@pytest.fixture(scope="module")
def shipped():
    """Each model's sampler as compose uses it, with few iterations (the nets are untrained)."""
    stages = default_stage_settings(
        [
            "harmonize.steps=3",
            "embellish.enabled=true",
            "embellish.iterations=8",
            "embellish.max_notes_to_add=8",
        ]
    )
    return {"coconet": stages["harmony"], "arcnn": stages["embellishment"]}


@pytest.mark.parametrize("name", ["coconet", "arcnn"])
def test_both_models_satisfy_the_protocol_and_fill_only_the_hidden_cells(corpus, shipped, name):
    model = tiny_generators()[name]
    assert isinstance(model, ExampleWriter)
    window = corpus.chorales[0].crop(0, 32).pitches.astype(np.int64)
    pitches = torch.from_numpy(np.stack([window, window]))
    mask = torch.zeros_like(pitches, dtype=torch.bool)
    mask[:, 1:, 8:24] = True  # alto, tenor and bass of the middle steps

    def fill(seed):
        return model.infill(pitches, mask, shipped[name], torch.Generator().manual_seed(seed))

    filled = fill(0)
    assert filled.shape == pitches.shape
    assert torch.equal(filled[~mask], pitches[~mask])
    assert ((filled == REST) | ((filled >= 0) & (filled <= 127))).all()
    assert torch.equal(filled, fill(0))  # the generator decides every draw
    roll = torch.from_numpy(to_pianoroll(window).astype(np.float32))
    batch = {
        "pitches": pitches,
        "valid": torch.ones(2, 32, dtype=torch.bool),
        "pianoroll": torch.stack([roll, roll]),
    }
    examples = model.generate_examples(batch, 1, torch.Generator().manual_seed(0))
    assert len(examples) == 1 and examples[0].dtype == np.int16 and examples[0].shape[0] == 4


def test_a_network_that_does_not_generate_is_not_a_generator():
    assert not isinstance(CoconetNet(num_layers=2, num_filters=8), ExampleWriter)  # no infill, no examples
