"""The articulation model's features and sampling, on hand-made lines and real chorales."""

import numpy as np
import torch

from deepchorale.data.chorale import REST
from deepchorale.models.articulation import (
    FEATURES,
    ArticulationNet,
    Articulator,
    articulation_features,
    bar_phase,
    moves_and_holds,
)

# S repeats its G (the tune strikes it twice); A holds E for 8 steps; T rests then enters; B moves.
LINES = torch.tensor(
    [
        [[67, 67, 67, 67, 67, 67, 67, 67]],
        [[64, 64, 64, 64, 64, 64, 64, 64]],
        [[REST, REST, 60, 60, 60, 60, 60, 60]],
        [[48, 48, 48, 48, 43, 43, 43, 43]],
    ]
).transpose(0, 1)  # (1, 4, 8)
SOPRANO_ONSETS = torch.tensor([[True, False, False, False, True, False, False, False]])


def test_moves_are_new_pitches_or_the_tunes_onsets_and_holds_the_rest():
    moves, holds = moves_and_holds(LINES, SOPRANO_ONSETS)
    assert moves[0, 0].tolist() == SOPRANO_ONSETS[0].tolist()  # the soprano's repeat is the tune's
    assert moves[0, 1].tolist() == [True] + [False] * 7
    assert moves[0, 2].tolist() == [False, False, True] + [False] * 5  # entering after a rest
    assert moves[0, 3].tolist() == [True, False, False, False, True, False, False, False]
    assert not (holds & moves).any() and not holds[0, 2, :2].any()  # rests neither move nor hold


def test_features_count_the_steps_since_a_move_and_read_the_bar():
    phase = bar_phase(8, 16, pickup=4)[None]  # a one-beat pickup: step 4 is the first downbeat
    assert phase[0].tolist() == [12, 13, 14, 15, 0, 1, 2, 3]
    features = articulation_features(LINES, SOPRANO_ONSETS, phase)
    assert features.shape == (1, FEATURES, 8)
    since_alto = features[0, 12 + 1]
    assert since_alto.tolist() == [i / 16 for i in range(8)]
    downbeat = features[0, -1]
    assert downbeat.tolist() == [0, 0, 0, 0, 1, 0, 0, 0]


def test_an_articulator_strikes_only_held_lower_cells_again_and_a_seed_decides(corpus):
    torch.manual_seed(0)
    articulator = Articulator(ArticulationNet(width=8, layers=2), temperature=1.0)
    chorale = corpus.chorales[0]
    pitches = torch.from_numpy(chorale.pitches[None].astype(np.int64))
    soprano = torch.from_numpy(chorale.onsets[None, 0].copy())
    phase = bar_phase(chorale.num_steps, chorale.bar_steps, chorale.pickup)[None]

    def draw(seed):
        return articulator.onsets(pitches, soprano, phase, torch.Generator().manual_seed(seed))

    onsets = draw(0)
    moves, holds = moves_and_holds(pitches, soprano)
    assert torch.equal(onsets[:, 0], moves[:, 0])  # the soprano as given
    assert (onsets >= moves).all()  # every new pitch starts a note
    restrikes = onsets & ~moves
    assert restrikes.any() and (restrikes <= holds).all() and not restrikes[:, 0].any()
    assert torch.equal(onsets, draw(0)) and not torch.equal(onsets, draw(1))
    cold = Articulator(articulator.net, temperature=0.05).onsets(pitches, soprano, phase, None)
    assert (cold & ~moves).sum() < restrikes.sum()  # cold: a cell with p < 0.5 (most, here) never is
