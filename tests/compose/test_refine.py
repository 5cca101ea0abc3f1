"""harmoniser=gan+coconet: the GAN drafts, Coconet's Gibbs refines the draft."""

import functools

import numpy as np
import torch

from deepchorale.compose.harmonize import HarmonySettings, harmonize
from deepchorale.compose.refine import DraftThenRefine, RefineSettings
from deepchorale.data.chorale import REST
from deepchorale.data.convert import ONEHOT_HIGH, ONEHOT_LOW
from deepchorale.models.coconet import CoconetNet
from deepchorale.models.gan import GanSettings
from deepchorale.models.gan_nets import Critic, MuseganGenerator
from deepchorale.models.protocol import ExampleWriter, Infiller
from deepchorale.training.coconet import CoconetModule
from deepchorale.training.gan import GanModule


def untrained_pair() -> DraftThenRefine:
    torch.manual_seed(0)
    gan = GanModule(
        MuseganGenerator(depth=2, base_filters=4, latent_dim=4),
        Critic(base_filters=4),
        functools.partial(torch.optim.Adam),
    )
    coconet = CoconetModule(CoconetNet(num_layers=4, num_filters=16), functools.partial(torch.optim.Adam))
    return DraftThenRefine(gan, GanSettings(noise_scale=1.0), coconet)


HARMONY = HarmonySettings(  # harmonize's own: one block, one candidate (its Gibbs fields are Coconet's)
    steps=None, temperature=1.0, schedule="yao", voice_leading=None, window=None, overlap=0, candidates=1
)


def refine_settings(steps: int, pmax: float = 0.5) -> RefineSettings:
    return RefineSettings(steps=steps, temperature=1.0, schedule="yao", voice_leading=None, pmax=pmax)


def test_the_pair_harmonises_a_real_soprano_reproducibly(corpus):
    pair = untrained_pair()
    assert isinstance(pair, Infiller) and not isinstance(pair, ExampleWriter)  # it is never trained
    soprano = corpus.chorales[0].pitches[0]

    def draw(seed: int) -> np.ndarray:
        generator = torch.Generator().manual_seed(seed)
        return harmonize(
            pair, soprano, HARMONY, final_tonic=None, generator=generator, sampler=refine_settings(8)
        )

    first = draw(0)
    assert np.array_equal(first[0], soprano)
    lower = first[1:][:, soprano != REST]
    assert lower.min() >= ONEHOT_LOW and lower.max() <= ONEHOT_HIGH  # every cell Coconet's, no draft rests
    assert np.array_equal(draw(0), first) and not np.array_equal(draw(1), first)


def test_refining_starts_from_the_gans_draft(corpus):
    """With no Gibbs steps the result is the GAN's draft wherever the draft is singable."""
    pair = untrained_pair()
    pitches = torch.from_numpy(corpus.chorales[0].crop(0, 32).pitches.astype(np.int64))[None]
    mask = torch.zeros_like(pitches, dtype=torch.bool)
    mask[:, 1:] = True
    draft = pair.draft.infill(pitches, mask, pair.draft_settings, torch.Generator().manual_seed(3))
    refined = pair.infill(pitches, mask, refine_settings(steps=0), torch.Generator().manual_seed(3))
    singable = (draft != REST) & (draft <= ONEHOT_HIGH)
    assert singable[mask].any()
    assert torch.equal(refined[singable], draft[singable])
    assert torch.equal(refined[:, 0], pitches[:, 0])
