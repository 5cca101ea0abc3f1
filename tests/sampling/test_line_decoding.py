"""Reading lines from per-step distributions: Bach's change rates, the duration prior's effect on
a stutter, parallels avoided where the net offers a near-equal pitch, given cells kept."""

import numpy as np
import pytest
import torch

from deepchorale.data.chorale import REST, chorale_from_pitches
from deepchorale.evaluation.metrics.parallel_fifths import parallel_fifths
from deepchorale.evaluation.metrics.parallel_octaves import parallel_octaves
from deepchorale.sampling.line_decoding import (
    BACH_CHANGE_RATES,
    BACH_INTERVAL_SHARES,
    LinePriors,
    change_rates,
    decode_lines,
    interval_shares,
    joint_parallels,
    parallels_between,
)

PITCHES = torch.tensor([60, 62, 64, 65, 67, 69, 71, 72, REST])  # state -> pitch
STATE = {int(pitch): state for state, pitch in enumerate(PITCHES)}


def log_probs_for(preferred: list[list[int]], margin: float = 1.0) -> torch.Tensor:
    """(1, V, T, S): at each step each voice prefers its listed pitch by `margin` nats."""
    scores = torch.zeros((1, len(preferred), len(preferred[0]), len(PITCHES)))
    for voice, line in enumerate(preferred):
        for step, pitch in enumerate(line):
            scores[0, voice, step, STATE[pitch]] = margin
    return scores.log_softmax(-1)


def decoded(log_probs, soprano, rates=BACH_CHANGE_RATES, **priors) -> list[list[int]]:
    """The lines under Bach's change rates and the `priors` given (0 for the others)."""
    priors = LinePriors(**{"duration_weight": 1.0, **priors})
    states = decode_lines(log_probs, PITCHES, torch.tensor([soprano]), 0, priors, rates)
    return PITCHES[states[0]].tolist()


def test_the_change_rates_are_bachs_over_the_training_split(by_id, manifest):
    measured = change_rates([by_id[id].pitches for id in manifest["train"]])
    assert measured == pytest.approx(np.array(BACH_CHANGE_RATES), abs=5e-4)
    assert measured[:, [1, 3]].max() < 0.03 < 0.2 < measured[:, [0, 2]].min()


def test_the_interval_shares_are_bachs_over_the_training_split(by_id, manifest):
    measured = interval_shares([by_id[id].pitches for id in manifest["train"]])
    assert measured == pytest.approx(np.array(BACH_INTERVAL_SHARES), abs=5e-4)
    assert (measured[:, :2].sum(1) > 0.6).all()  # most moves are steps


def test_a_stutter_on_16ths_is_read_as_notes_that_change_on_beats_and_8ths():
    # One voice: a net that flips between E and G every 16th, leaning to E in the first beat
    # and to G in the second, as the GAN's cells do.
    stutter = [[64, 67, 64, 64, 67, 64, 67, 67]]
    log_probs = log_probs_for(stutter, margin=0.5)
    log_probs[0, 0, :4, STATE[64]] += 0.3
    log_probs[0, 0, 4:, STATE[67]] += 0.3
    soprano = [72] * 8
    rates = (BACH_CHANGE_RATES[0],)
    assert decoded(log_probs, soprano, duration_weight=0, parallel_penalty=0, rates=rates) == stutter
    assert decoded(log_probs, soprano, duration_weight=1, rates=rates) == [[64] * 4 + [67] * 4]


def test_a_change_the_cells_insist_on_survives_between_8ths():
    line = [[64, 64, 64, 67, 67, 67, 67, 67]]  # a change on the 4th 16th
    assert decoded(log_probs_for(line, margin=20.0), [72] * 8, rates=(BACH_CHANGE_RATES[0],)) == line


def test_the_penalty_avoids_parallels_where_the_net_offers_a_near_equal_pitch():
    soprano = [72, 72, 74, 74]
    # alto F -> G under C -> D: parallel fifths; the net prefers them by 0.5 nats over F -> B.
    log_probs = log_probs_for([[65, 65, 67, 67]], margin=2.0)
    log_probs[0, 0, 2:, STATE[71]] = log_probs[0, 0, 2:, STATE[67]] - 0.5
    rates = (BACH_CHANGE_RATES[0],)
    assert decoded(log_probs, soprano, parallel_penalty=0, rates=rates) == [[65, 65, 67, 67]]
    assert decoded(log_probs, soprano, parallel_penalty=4, rates=rates) == [[65, 65, 71, 71]]


def test_the_interval_prior_prefers_a_step_the_net_likes_almost_as_much_as_a_leap():
    # Alto C -> A (a leap of a sixth) or C -> D (a step) on the beat; the net leans to the leap.
    log_probs = log_probs_for([[60, 60, 60, 60, 69, 69, 69, 69]], margin=2.0)
    log_probs[0, 0, 4:, STATE[62]] = log_probs[0, 0, 4:, STATE[69]] - 0.5
    soprano = [72] * 8
    rates = (BACH_CHANGE_RATES[0],)
    assert decoded(log_probs, soprano, rates=rates) == [[60] * 4 + [69] * 4]
    assert decoded(log_probs, soprano, interval_weight=1, rates=rates) == [[60] * 4 + [62] * 4]


def test_the_triad_bonus_prefers_a_chord_tone_the_net_likes_almost_as_much():
    # Over C (soprano) and G, C (tenor, bass), the alto's D is a hair likelier than its E.
    given = [[67] * 4, [60] * 4]
    log_probs = log_probs_for([[62] * 4, *given], margin=20.0)
    log_probs[0, 0, :, STATE[64]] = log_probs[0, 0, :, STATE[62]] - 0.2
    assert decoded(log_probs, [72] * 4) == [[62] * 4, *given]
    assert decoded(log_probs, [72] * 4, triad_bonus=0.3) == [[64] * 4, *given]


def test_the_contrary_bonus_moves_the_bass_against_the_soprano():
    soprano = [72] * 4 + [76] * 4
    # The bass leaves E on beat 2: up to F (similar motion) is 0.2 nats a step likelier than
    # down to D, 0.8 over the beat: more than a contrary bonus of 0.5 makes up, less than 1.
    log_probs = log_probs_for([[64] * 4 + [65] * 4], margin=3.0)
    log_probs[0, 0, 4:, STATE[62]] = log_probs[0, 0, 4:, STATE[65]] - 0.2
    rates = (BACH_CHANGE_RATES[2],)
    assert decoded(log_probs, soprano, rates=rates) == [[64] * 4 + [65] * 4]
    assert decoded(log_probs, soprano, contrary_bonus=0.5, rates=rates) == [[64] * 4 + [65] * 4]
    assert decoded(log_probs, soprano, contrary_bonus=1.0, rates=rates) == [[64] * 4 + [62] * 4]


def test_the_change_bonus_takes_a_neighbour_note_the_prior_alone_holds_back():
    line = [[60] * 2 + [62] * 2 + [60] * 4]
    log_probs = log_probs_for([[60] * 8], margin=3.0)
    log_probs[0, 0, 2:4, STATE[62]] = log_probs[0, 0, 2:4, STATE[60]] + 0.3  # a neighbour on an 8th
    rates = (BACH_CHANGE_RATES[0],)
    assert decoded(log_probs, [72] * 8, rates=rates) == [[60] * 8]
    assert decoded(log_probs, [72] * 8, change_bonus=1.0, rates=rates) == line


def test_parallels_between_counts_as_the_evaluation_metrics_do():
    generator = np.random.default_rng(0)
    counts = []
    for _ in range(200):
        # Fifths and octaves apart, and one shift for the voices that move: parallels are common.
        before = 48 + generator.choice([0, 7, 12, 19, 24, 28], size=4, replace=False)
        after = before + generator.choice([-2, 2, 5]) * (generator.random(4) < 0.7)
        pitches = np.stack([before, after], 1)
        pitches[generator.random((4, 2)) < 0.1] = REST
        chorale = chorale_from_pitches("random", pitches.astype(np.int16))
        expected = parallel_fifths(chorale) + parallel_octaves(chorale)
        if np.isnan(expected):  # fewer than two chords
            continue
        counts.append(
            int(parallels_between(torch.from_numpy(pitches[:, 0]), torch.from_numpy(pitches[:, 1])))
        )
        assert counts[-1] == expected
    assert len(counts) > 150 and sum(count > 0 for count in counts) > 30


def test_joint_parallels_count_every_pair_of_joint_chords_as_parallels_between_does():
    generator = torch.Generator().manual_seed(0)
    candidates = torch.randint(48, 72, (5, 3, 2), generator=generator, dtype=torch.int16)
    candidates[0, 1, 0] = REST
    soprano = torch.randint(60, 80, (5,), generator=generator, dtype=torch.int16)
    joint = torch.cartesian_prod(*[torch.arange(2)] * 3)
    chords = torch.cat([soprano[:, None, None].expand(-1, 8, 1), candidates[:, torch.arange(3), joint]], -1)
    brute_force = parallels_between(*torch.broadcast_tensors(chords[:-1, :, None], chords[1:, None, :]))
    counted = joint_parallels(candidates, soprano, joint)
    assert torch.equal(counted.long(), brute_force) and brute_force.sum() > 0


def test_given_cells_are_kept_and_no_prior_reads_each_cells_strongest_state():
    log_probs = torch.randn((2, 3, 12, len(PITCHES)), generator=torch.Generator().manual_seed(0)).log_softmax(
        -1
    )
    soprano = torch.full((2, 12), 72)
    plain = decode_lines(log_probs, PITCHES, soprano, 0, LinePriors())
    assert torch.equal(plain, log_probs.argmax(-1))
    given = torch.full_like(log_probs, -torch.inf)
    given[..., STATE[60]] = 0.0
    log_probs[:, 1, 3:7] = given[:, 1, 3:7]
    lines = decode_lines(
        log_probs,
        PITCHES,
        soprano,
        0,
        LinePriors(
            duration_weight=1.0,
            parallel_penalty=4.0,
            interval_weight=1.0,
            triad_bonus=0.3,
            contrary_bonus=0.3,
            change_bonus=1.0,
        ),
    )
    assert (lines[:, 1, 3:7] == STATE[60]).all()
    assert lines.shape == (2, 3, 12)
