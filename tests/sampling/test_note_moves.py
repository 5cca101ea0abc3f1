"""Whole-note moves: a note left in parallels is redrawn as one note, and nothing else changes."""

import torch

from deepchorale.models.coconet import CoconetNet, sampling_net
from deepchorale.sampling.gibbs import pitch_onehot
from deepchorale.sampling.note_moves import block_logits, note_ids, parallel_note_moves
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


def test_crops_as_wide_as_the_receptive_field_give_the_block_the_whole_pieces_logits():
    torch.manual_seed(0)
    net = sampling_net(CoconetNet(num_layers=6, num_filters=8))
    assert net.receptive_radius == 6  # one step each side per 3x3 convolution

    def logits_of(state, block):
        return net(pitch_onehot(state), block)

    state = torch.randint(50, 70, (2, 4, 80))
    block = torch.zeros_like(state, dtype=torch.bool)
    block[0, 2, 3:5] = True  # at the piece's start
    block[1, 1, 30] = True  # two cells closer than two radii: one crop
    block[0, 3, 39] = True
    block[1, 3, 77:80] = True  # at its end
    with torch.no_grad():
        whole = logits_of(state, block)
        cropped = block_logits(logits_of, state, block, net.receptive_radius)
        narrower = block_logits(logits_of, state, block, net.receptive_radius - 1)
    assert torch.equal(cropped[block], whole[block])
    assert not torch.equal(narrower[block], whole[block])  # the radius is the field, not less


def test_note_moves_on_crops_draw_what_they_draw_on_the_whole_piece():
    torch.manual_seed(0)
    net = sampling_net(CoconetNet(num_layers=4, num_filters=8))
    # Parallel octaves (S-B) in the first bar and the last, a held chord between them.
    bar = [[72] * 4 + [74] * 4, [67] * 8, [64] * 8, [48] * 4 + [50] * 4]
    held = [[74] * 40, [67] * 40, [64] * 40, [55] * 40]
    state = torch.tensor([[first + middle + last for first, middle, last in zip(bar, held, bar)]])
    mask = torch.zeros_like(state, dtype=torch.bool)
    mask[:, 3] = True
    lengths = []

    def logits_of(state, block):
        lengths.append(state.shape[-1])
        return net(pitch_onehot(state), block)

    moves = [
        parallel_note_moves(
            logits_of, state, mask, ONLY_PARALLELS, 1.0, torch.Generator().manual_seed(0), radius
        )
        for radius in (None, net.receptive_radius)
    ]
    assert not torch.equal(moves[0], state)
    assert torch.equal(moves[0], moves[1])
    assert max(lengths) == 56 and min(lengths) < 20  # the second read two crops, not the piece
