import itertools

import pytest
import torch

from deepchorale.data.convert import to_pianoroll
from deepchorale.models.arcnn import ArcnnNet
from deepchorale.sampling.arcnn_resample import resample


def real_rolls(corpus, count: int = 3, steps: int = 24) -> torch.Tensor:
    windows = [c.crop(16, steps) for c in corpus.chorales[:count]]
    return torch.stack([torch.from_numpy(to_pianoroll(w.pitches).astype("float32")) for w in windows])


class Recorder:
    """A model function: fixed random logits, plus a bias towards the notes (`favour` 1) or the
    empty pixels (-1) of the roll it is given; remembers its inputs."""

    def __init__(self, shape, favour: int = 0, seed: int = 0):
        self.logits = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
        self.favour = favour
        self.seen: list[torch.Tensor] = []

    def __call__(self, roll: torch.Tensor) -> torch.Tensor:
        self.seen.append(roll.clone())
        return self.logits + 6.0 * self.favour * (2 * roll - 1)


def test_each_iteration_flips_exactly_one_pixel(corpus):
    roll = real_rolls(corpus)
    model = Recorder(roll.shape)
    out = resample(
        model,
        roll,
        iterations=12,
        max_notes_to_add=100,
        max_remove_fraction=1.0,
        temperature=1.0,
        generator=torch.Generator().manual_seed(1),
    )
    states = [*model.seen, out]
    assert len(model.seen) == 12 and torch.equal(model.seen[0], roll)
    for before, after in itertools.pairwise(states):
        assert ((before != after).flatten(1).sum(1) == 1).all()


def test_quotas_hold_at_every_step(corpus):
    roll = real_rolls(corpus)
    notes = roll.flatten(1).sum(1)
    # A model that pushes for additions (empty pixels favoured), then one that pushes for removals.
    for favour, max_add, fraction in ((-1, 3, 1.0), (1, 500, 0.25)):
        model = Recorder(roll.shape, favour)
        out = resample(
            model,
            roll,
            iterations=40,
            max_notes_to_add=max_add,
            max_remove_fraction=fraction,
            temperature=1.0,
            generator=torch.Generator().manual_seed(2),
        )
        for state in [*model.seen, out]:
            added = ((state == 1) & (roll == 0)).flatten(1).sum(1)
            removed = ((state == 0) & (roll == 1)).flatten(1).sum(1)
            assert (added <= max_add).all()
            assert (removed <= torch.floor(fraction * notes)).all()
    # The quotas are reached, not merely respected: the last run removed a quarter (rounded down).
    assert torch.equal(((out == 0) & (roll == 1)).flatten(1).sum(1), torch.floor(0.25 * notes))


def test_editable_mask_pins_pixels(corpus):
    roll = real_rolls(corpus)
    editable = torch.zeros_like(roll, dtype=torch.bool)
    editable[:, :, :60] = True  # only pitches below middle C may change
    out = resample(
        Recorder(roll.shape),
        roll,
        iterations=30,
        max_notes_to_add=30,
        max_remove_fraction=1.0,
        temperature=2.0,
        generator=torch.Generator().manual_seed(3),
        editable=editable,
    )
    assert torch.equal(out[:, :, 60:], roll[:, :, 60:])
    assert not torch.equal(out, roll)


def test_same_seed_same_result_with_a_real_net(corpus):
    roll = real_rolls(corpus)
    torch.manual_seed(0)
    net = ArcnnNet(depth=2, base_filters=4).eval()

    def model_fn(x):
        return net(x.unsqueeze(1)).squeeze(1)

    def run(seed):
        return resample(
            model_fn,
            roll,
            iterations=8,
            max_notes_to_add=8,
            max_remove_fraction=0.5,
            temperature=1.0,
            generator=torch.Generator().manual_seed(seed),
        )

    first, second, other = run(7), run(7), run(8)
    assert torch.equal(first, second) and not torch.equal(first, other)
    assert first.dtype == roll.dtype and set(first.unique().tolist()) <= {0.0, 1.0}


def test_greedy_takes_the_best_allowed_pixel():
    roll = torch.zeros(1, 2, 3)
    roll[0, 0, 0] = 1.0
    logits = torch.tensor([[[9.0, 1.0, 2.0], [3.0, 0.0, 0.0]]])
    # Removing the only note is over a 0 % removal quota, so the best allowed flip adds (1, 0).
    out = resample(
        lambda x: logits,
        roll,
        iterations=1,
        max_notes_to_add=1,
        max_remove_fraction=0.0,
        temperature=0.0,
        generator=None,
    )
    assert out[0, 1, 0] == 1 and out.sum() == 2
    # With both quotas spent nothing may change.
    stuck = resample(
        lambda x: logits,
        out,
        iterations=2,
        max_notes_to_add=0,
        max_remove_fraction=0.0,
        temperature=0.0,
        generator=None,
    )
    assert torch.equal(stuck, out)
    with pytest.raises(ValueError):
        resample(
            lambda x: logits,
            roll,
            iterations=1,
            max_notes_to_add=1,
            max_remove_fraction=0.0,
            temperature=-1.0,
            generator=None,
        )
