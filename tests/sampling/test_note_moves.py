"""Whole-note moves: a note left in parallels is redrawn as one note, and nothing else changes."""

import torch

from deepchorale.sampling.note_moves import note_ids, parallel_note_moves
from deepchorale.sampling.voice_leading import VoiceLeadingPrior, parallel_cells

ONLY_PARALLELS = VoiceLeadingPrior(parallels=12.0, crossing=0.0, spacing=0.0, non_chord=0.0, range=0.0)


def no_opinion(state, block):
    return torch.zeros((*state.shape, 46))


def test_a_note_is_a_run_of_one_pitch():
    state = torch.tensor([[[72, 72, 74, 74, 74, -1, -1, 72]]])
    assert note_ids(state)[0, 0].tolist() == [0, 0, 1, 1, 1, 2, 2, 3]


def test_the_note_moving_in_parallels_is_redrawn_whole_and_nothing_else_is():
    # S C5 -> D5 over B C3 -> D3: parallel octaves; only the bass is generated.
    voices = [[72] * 4 + [74] * 4, [67] * 8, [64] * 8, [48] * 4 + [50] * 4]
    state = torch.tensor([voices, voices])
    mask = torch.zeros_like(state, dtype=torch.bool)
    mask[:, 3] = True
    assert parallel_cells(state)[:, 3].any()
    moved = parallel_note_moves(
        no_opinion, state, mask, ONLY_PARALLELS, 1.0, torch.Generator().manual_seed(0)
    )
    assert not parallel_cells(moved).any()
    assert torch.equal(moved[:, :3], state[:, :3])  # the clamped voices as they were
    for piece in moved:  # the bass's first note moved (it comes first), whole; its second stayed
        assert len(set(piece[3, :4].tolist())) == 1 and piece[3, 0] != 48
        assert piece[3, 4:].tolist() == [50] * 4
    again = parallel_note_moves(
        no_opinion, state, mask, ONLY_PARALLELS, 1.0, torch.Generator().manual_seed(0)
    )
    assert torch.equal(moved, again)  # one seed, one result


def test_a_note_partly_clamped_is_left_alone():
    voices = [[72] * 4 + [74] * 4, [67] * 8, [64] * 8, [48] * 4 + [50] * 4]
    state = torch.tensor([voices])
    mask = torch.zeros_like(state, dtype=torch.bool)
    mask[:, 3, 1:3] = True  # the bass's first note is only partly generated, its second not at all
    moved = parallel_note_moves(
        no_opinion, state, mask, ONLY_PARALLELS, 1.0, torch.Generator().manual_seed(0)
    )
    assert torch.equal(moved, state)
