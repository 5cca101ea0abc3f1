import numpy as np
import pytest
import torch

from deepchorale.data.chorale import REST
from deepchorale.data.convert import ONEHOT_HIGH, ONEHOT_LOW, ONEHOT_PITCHES
from deepchorale.sampling.gibbs import GibbsSettings, block_probability, gibbs_sample, pitch_onehot

PITCH_MIXER = torch.randn(ONEHOT_PITCHES, ONEHOT_PITCHES, generator=torch.Generator().manual_seed(0))


def sampler(steps, temperature=1.0, schedule="yao"):
    """The mechanics under test at stated values: temperature 1 draws from the toy model itself."""
    return GibbsSettings(steps=steps, temperature=temperature, schedule=schedule, voice_leading=None)


def toy_model(onehot, mask):
    """Logits that depend on the context: each voice leans towards a mix of what the others sing."""
    context = onehot.sum(1, keepdim=True) - onehot
    return 2 * context @ PITCH_MIXER + mask.unsqueeze(-1).float()


@pytest.fixture
def window(corpus):
    """Two real 24-step windows (B, 4, T), rests included."""
    crops = [chorale.crop(0, 24).pitches for chorale in corpus.chorales[:2]]
    return torch.from_numpy(np.stack(crops).astype(np.int64))


def random_mask(shape, seed):
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed)) < 0.5


def test_clamped_cells_never_change_and_samples_stay_in_range(window):
    mask = random_mask(window.shape, 1)
    sampled = gibbs_sample(toy_model, window, mask, sampler(20), torch.Generator().manual_seed(0))
    assert sampled.shape == window.shape and sampled.dtype == torch.int64
    assert torch.equal(sampled[~mask], window[~mask])
    assert sampled[mask].min() >= ONEHOT_LOW and sampled[mask].max() <= ONEHOT_HIGH


def test_the_seed_decides_the_sample(window):
    mask = torch.ones_like(window, dtype=torch.bool)
    mask[:, 0] = False  # harmonise the soprano

    def draw(seed):
        generator = torch.Generator().manual_seed(seed)
        return gibbs_sample(toy_model, window, mask, sampler(10, schedule="yao"), generator)

    assert torch.equal(draw(3), draw(3))
    assert not torch.equal(draw(3), draw(4))


def test_blocks_shrink_along_yao_schedule(window):
    mask = torch.ones_like(window, dtype=torch.bool)
    hidden_fractions = []

    def recording_model(onehot, block):
        hidden_fractions.append(block.float().mean().item())
        return toy_model(onehot, block)

    steps = 50
    gibbs_sample(recording_model, window, mask, sampler(steps), torch.Generator().manual_seed(0))
    assert len(hidden_fractions) == steps + 1
    assert hidden_fractions[0] == 1.0  # the start: everything drawn at once
    assert hidden_fractions[1] == pytest.approx(0.9, abs=0.1)
    assert np.mean(hidden_fractions[-10:]) == pytest.approx(0.1, abs=0.05)


def test_schedule_values():
    assert block_probability(0, 100) == pytest.approx(0.9)
    assert block_probability(35, 100) == pytest.approx(0.5)
    assert block_probability(70, 100) == pytest.approx(0.1)
    assert block_probability(99, 100) == pytest.approx(0.1)
    assert block_probability(40, 100, schedule="constant", constant_probability=0.3) == 0.3
    with pytest.raises(ValueError):
        block_probability(0, 10, schedule="cosine")


def test_low_temperature_picks_the_model_mode(window):
    def certain_model(onehot, mask):
        logits = torch.zeros(*mask.shape, ONEHOT_PITCHES)
        logits[..., 60 - ONEHOT_LOW] = 5.0
        return logits

    mask = torch.ones_like(window, dtype=torch.bool)
    sampled = gibbs_sample(certain_model, window, mask, sampler(3, temperature=0.01), None)
    assert (sampled == 60).all()


def test_onehot_rests_are_empty_rows_and_range_is_checked():
    pitches = torch.tensor([[[ONEHOT_LOW, REST], [ONEHOT_HIGH, 60], [REST, REST], [50, 51]]])
    onehot = pitch_onehot(pitches)
    assert onehot.shape == (1, 4, 2, ONEHOT_PITCHES)
    assert torch.equal(onehot.sum(-1), (pitches != REST).float())
    assert onehot[0, 1, 0, ONEHOT_PITCHES - 1] == 1
    with pytest.raises(ValueError):
        pitch_onehot(torch.tensor([[[30]]]))


def test_a_chain_from_a_draft_starts_from_it_and_redraws_only_its_unusable_cells(window):
    """Zero steps from a draft: the draft itself, except its rests and pitches Coconet cannot sing,
    which are drawn as the independent start would; from scratch, every hidden cell is drawn."""
    mask = torch.ones_like(window, dtype=torch.bool)
    mask[:, 0] = False
    draft = window.clone()
    draft[:, 1, :4] = REST
    draft[:, 2, 4:6] = ONEHOT_HIGH + 2  # a GAN's roll reaches two semitones above Coconet's range
    unusable = mask & ((draft == REST) | (draft > ONEHOT_HIGH))
    generator = torch.Generator().manual_seed(0)
    kept = gibbs_sample(toy_model, draft, mask, sampler(0), generator, from_draft=True)
    assert torch.equal(kept[~unusable], draft[~unusable])
    assert kept[unusable].min() >= ONEHOT_LOW and kept[unusable].max() <= ONEHOT_HIGH
    fresh = gibbs_sample(toy_model, draft, mask, sampler(0), torch.Generator().manual_seed(0))
    assert (fresh[mask & ~unusable] != draft[mask & ~unusable]).float().mean() > 0.5


def test_a_lower_first_block_keeps_more_of_the_draft(window):
    mask = torch.ones_like(window, dtype=torch.bool)
    mask[:, 0] = False
    draft = torch.where(mask, 60, window)  # a flat draft: any redrawn cell shows

    def kept(pmax: float) -> float:
        refined = gibbs_sample(
            toy_model, draft, mask, sampler(1), torch.Generator().manual_seed(1), pmax=pmax, from_draft=True
        )
        return (refined[mask] == 60).float().mean().item()

    assert kept(0.2) > kept(0.9) + 0.4
