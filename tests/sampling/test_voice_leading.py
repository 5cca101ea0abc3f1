"""The voice-leading prior: each rule's energy on hand-made chords, and what it does to a sampler."""

import numpy as np
import torch

from deepchorale.data.chorale import REST, VOICES, chorale_from_pitches
from deepchorale.data.convert import ONEHOT_LOW, ONEHOT_PITCHES
from deepchorale.evaluation.metrics.parallel_fifths import parallel_fifths
from deepchorale.evaluation.metrics.parallel_octaves import parallel_octaves
from deepchorale.evaluation.metrics.register_outlier_rate import register_outlier_rate
from deepchorale.sampling.gibbs import GibbsSettings, gibbs_sample
from deepchorale.sampling.voice_leading import (
    VoiceLeadingPrior,
    contrary_moves,
    crossing_and_spacing,
    forms_chord,
    forms_seventh,
    held_neighbours,
    parallel_count,
    semitones_outside_register,
)

CANDIDATES = torch.arange(ONEHOT_LOW, ONEHOT_LOW + ONEHOT_PITCHES)
ONLY_PARALLELS = VoiceLeadingPrior(parallels=1.0, crossing=0.0, spacing=0.0, non_chord=0.0, range=0.0)


def state(*chords):
    """Chords as (S, A, T, B) tuples, one per step -> (1, 4, T)."""
    return torch.tensor(chords, dtype=torch.int64).T[None]


def energy_of(pitches, voice, step, pitch, counts):
    return float(counts[0, voice, step, pitch - ONEHOT_LOW])


def test_parallel_fifths_into_and_out_of_a_step_are_counted():
    # C major -> D minor: tenor G3 -> ?, bass C3 -> D3. Tenor A3 keeps the fifth over a rising bass.
    chords = state((72, 64, 55, 48), (74, 65, 57, 50), (76, 67, 59, 52))
    counts = parallel_count(chords, CANDIDATES)
    assert energy_of(chords, 2, 1, 57, counts) == 2  # fifths with the bass into and out of step 1
    assert energy_of(chords, 2, 1, 53, counts) == 0  # F3: contrary to the bass, no parallel
    assert energy_of(chords, 2, 0, 55, counts) == 1  # the step before: only the move out of it
    # Octaves count too: soprano C5 -> D5 over alto C4 -> D4 is a parallel octave.
    octaves = state((72, 60, 55, 43), (74, 60, 57, 47))
    assert energy_of(octaves, 1, 1, 62, parallel_count(octaves, CANDIDATES)) == 1


def test_a_held_voice_or_a_rest_makes_no_parallel():
    chords = state((72, 64, 55, 48), (72, 64, 55, 50))
    counts = parallel_count(chords, CANDIDATES)
    assert energy_of(chords, 2, 1, 55, counts) == 0  # tenor holds
    resting = state((72, 64, 55, 48), (74, 65, 57, REST))
    assert energy_of(resting, 2, 1, 57, parallel_count(resting, CANDIDATES)) == 0


def parallels_by_hand(chords: torch.Tensor, voice: int, step: int, pitch: int) -> int:
    """The rule read one pair and one move at a time: `voice` sings `pitch` at `step`; count the
    other voices it moves with in the same direction into or out of `step`, keeping a unison,
    octave or fifth (interval classes 0 and 7), where all four notes sound."""
    notes = chords.clone()
    notes[voice, step] = pitch
    count = 0
    for earlier in (step - 1, step):
        later = earlier + 1
        if earlier < 0 or later >= notes.shape[1]:
            continue
        for other in range(4):
            x0, x1, y0, y1 = (int(v) for v in (notes[voice, earlier], notes[voice, later],
                                              notes[other, earlier], notes[other, later]))  # fmt: skip
            if other == voice or REST in (x0, x1, y0, y1) or x1 == x0 or np.sign(x1 - x0) != np.sign(y1 - y0):
                continue
            count += abs(x0 - y0) % 12 == abs(x1 - y1) % 12 and abs(x1 - y1) % 12 in (0, 7)
    return count


def test_parallel_count_agrees_with_the_rule_read_by_hand_on_random_chords():
    generator = torch.Generator().manual_seed(0)
    chords = torch.randint(48, 60, (2, 4, 10), generator=generator) + torch.tensor([24, 14, 7, 0])[:, None]
    chords = torch.where(torch.rand(chords.shape, generator=generator) < 0.3, chords.roll(1, -1), chords)
    chords[0, 2, 4] = REST
    counts = parallel_count(chords, CANDIDATES)
    for piece in range(2):
        for voice in range(4):
            for step in range(10):
                if chords[piece, voice, step] == REST:
                    continue
                by_hand = [parallels_by_hand(chords[piece], voice, step, int(p)) for p in CANDIDATES]
                assert counts[piece, voice, step].tolist() == by_hand, (piece, voice, step)
    assert counts.sum() > 20  # the chords do move in parallels: the comparison is not all zeros


def test_crossing_and_spacing():
    chords = state((72, 64, 55, 48))
    crossing, spacing = crossing_and_spacing(chords, CANDIDATES)
    assert crossing[0, 1, 0, 73 - ONEHOT_LOW] == 1  # alto above the soprano
    assert crossing[0, 1, 0, 54 - ONEHOT_LOW] == 1  # alto below the tenor
    assert crossing[0, 1, 0, 64 - ONEHOT_LOW] == 0
    assert spacing[0, 1, 0, 58 - ONEHOT_LOW] == 1  # 14 semitones under the soprano
    assert spacing[0, 3, 0, 36 - ONEHOT_LOW] == 0  # tenor-bass may be wide


def test_chord_membership():
    chords = state((72, 64, 55, 48))  # C E G C; the alto's candidates replace its E
    chord = forms_chord(chords, CANDIDATES)
    assert chord[0, 1, 0, 64 - ONEHOT_LOW] and chord[0, 1, 0, 52 - ONEHOT_LOW]  # E in any octave
    assert not chord[0, 1, 0, 67 - ONEHOT_LOW]  # G: C and G alone are no complete chord
    assert not chord[0, 1, 0, 62 - ONEHOT_LOW]  # D: C D G, no chord
    resting = state((72, REST, 55, 48))
    assert forms_chord(resting, CANDIDATES)[0, 2, 0, 62 - ONEHOT_LOW]  # not judged while a voice rests


def test_fifthless_chords_accept_a_triad_or_seventh_without_its_fifth_and_nothing_else():
    doubled_roots = state((72, 64, 60, 48))  # C5 ? C4 C3: the alto's pitch is the chord's only other class
    strict, fifthless = (
        forms_chord(doubled_roots, CANDIDATES, fifthless)[0, 1, 0] for fifthless in (False, True)
    )
    thirds = {64: "C major", 63: "C minor", 69: "A minor", 68: "Ab major"}
    for pitch in (64, 63, 69, 68, 67, 60, 70, 62):  # the thirds, then G, C, Bb and D: no third
        assert not strict[pitch - ONEHOT_LOW], pitch  # two pitch classes are never a complete chord
        assert bool(fifthless[pitch - ONEHOT_LOW]) == (pitch in thirds), pitch
    dominant = state((71, 65, 55, 43))  # B4 ? G3 G2: the alto's F makes G7 without its D
    assert not forms_chord(dominant, CANDIDATES)[0, 1, 0, 65 - ONEHOT_LOW]
    assert forms_chord(dominant, CANDIDATES, fifthless=True)[0, 1, 0, 65 - ONEHOT_LOW]
    assert forms_chord(dominant, CANDIDATES)[0, 1, 0, 62 - ONEHOT_LOW]  # D: G major, complete


def test_seventh_charges_the_candidates_that_make_a_seventh_chord_complete_or_fifthless():
    dominant = state((71, 65, 55, 43))  # B4 ? G3 G2
    sevenths = forms_seventh(dominant, CANDIDATES)[0, 1, 0]
    assert sevenths[65 - ONEHOT_LOW] and sevenths[53 - ONEHOT_LOW]  # F: G7 without its D, any octave
    assert not sevenths[62 - ONEHOT_LOW] and not sevenths[67 - ONEHOT_LOW]  # D, G: G major triads
    assert not sevenths[64 - ONEHOT_LOW]  # E: G B E, a triad's inversion (E minor) without its fifth
    complete = state((71, 65, 62, 43))  # B F D G: the alto's F completes G7
    assert forms_seventh(complete, CANDIDATES)[0, 1, 0, 65 - ONEHOT_LOW]
    resting = forms_seventh(state((71, REST, 62, 43)), CANDIDATES)[0, :, 0]
    assert not resting[[0, 2, 3]].any()  # the alto rests: the other voices' candidates are not judged
    assert resting[1, 65 - ONEHOT_LOW]  # the alto's own candidates are, against the three that sound
    rule = VoiceLeadingPrior(parallels=0.0, crossing=0.0, spacing=0.0, non_chord=0.0, range=0.0, seventh=0.5)
    assert rule.cell_energy(complete)[0, :, 0].tolist() == [0.5, 0.5, 0.5, 0.5]


def test_range_charges_the_pitches_the_register_metric_counts_by_their_distance():
    outside = semitones_outside_register(CANDIDATES)
    for voice, name in enumerate(VOICES):
        for pitch in CANDIDATES.tolist():
            pitches = np.full((4, 1), REST, np.int16)
            pitches[voice] = pitch
            counted = register_outlier_rate(chorale_from_pitches("one-note", pitches))[name] == 1.0
            assert bool(outside[voice, pitch - ONEHOT_LOW] > 0) == counted
    only_range = VoiceLeadingPrior(parallels=0.0, crossing=0.0, spacing=0.0, non_chord=0.0, range=3.0)
    # Soprano G5, 1 above Bach's F#5; alto D5, 3 above his B4; tenor E3, 1 below his F3.
    high_alto = state((79, 74, 52, 48))
    assert only_range.cell_energy(high_alto)[0, :, 0].tolist() == [3.0, 9.0, 3.0, 0.0]
    # Another corpus's bands, where this alto sits inside and the bass 2 below.
    own_bands = ((60, 84), (60, 76), (50, 70), (50, 60))
    in_own_bands = VoiceLeadingPrior(parallels=0.0, crossing=0.0, spacing=0.0, non_chord=0.0, range=3.0,
                                     bands=own_bands)  # fmt: skip
    assert in_own_bands.cell_energy(high_alto)[0, :, 0].tolist() == [0.0, 0.0, 0.0, 6.0]


def test_contrary_counts_the_bass_moves_against_the_soprano_into_and_out_of_a_step():
    chords = state((72, 67, 60, 50), (74, 67, 62, 50), (72, 67, 60, 50))  # the soprano's neighbour note
    counts = contrary_moves(chords, CANDIDATES)
    assert energy_of(chords, 3, 1, 48, counts) == 2  # down against up, up against down
    assert energy_of(chords, 3, 1, 52, counts) == 0  # with the soprano both ways
    assert energy_of(chords, 3, 1, 50, counts) == 0  # held: oblique
    assert energy_of(chords, 3, 0, 52, counts) == 1  # the first step has no move into it
    assert float(counts[:, :3].abs().sum()) == 0  # only the bass is rewarded
    rewarded = VoiceLeadingPrior(
        parallels=0.0, crossing=0.0, spacing=0.0, non_chord=0.0, range=0.0, contrary=0.5
    )
    energy = rewarded.penalty(chords)
    assert float(energy[0, 3, 1, 48 - ONEHOT_LOW]) == -1.0 and float(energy[0, 3, 1, 52 - ONEHOT_LOW]) == 0


def test_out_of_key_charges_lower_voice_pitches_outside_the_key_and_leaves_the_soprano_alone():
    chords = state((73, 67, 60, 50))  # C#5 over G4 C4 D3
    rules = dict(parallels=0.0, crossing=0.0, spacing=0.0, non_chord=0.0, range=0.0, out_of_key=1.5)
    in_c = VoiceLeadingPrior(**rules, key=(0, "major")).cell_energy(chords)[0, :, 0]
    assert in_c.tolist() == [0.0, 0.0, 0.0, 0.0]  # the soprano is the user's: never charged
    energy = VoiceLeadingPrior(**rules, key=(9, "minor")).penalty(chords)[0, :, 0]
    # A minor: G# (its raised 7th) and F# (raised 6th) are in the key, C# and D# are not.
    assert [float(energy[2, pitch - ONEHOT_LOW]) for pitch in (56, 54, 61, 63, 57)] == [0, 0, 1.5, 1.5, 0]
    assert float(energy[0].abs().sum()) == 0
    assert float(VoiceLeadingPrior(**rules).penalty(chords).abs().sum()) == 0  # no key given: off


def test_centre_charges_each_lower_voice_its_distance_from_the_median():
    chords = state((72, 65, 62, 48))
    rules = dict(parallels=0.0, crossing=0.0, spacing=0.0, non_chord=0.0, range=0.0, centre=0.25)
    # Bach's medians: alto 65, tenor 59, bass 51; the soprano is never charged.
    assert VoiceLeadingPrior(**rules).cell_energy(chords)[0, :, 0].tolist() == [0.0, 0.0, 0.75, 0.75]
    own = VoiceLeadingPrior(**rules, medians=(72, 64, 60, 50)).cell_energy(chords)[0, :, 0]
    assert own.tolist() == [0.0, 0.25, 0.5, 0.5]


def test_hold_rewards_a_lower_voice_keeping_its_pitch_from_either_neighbour():
    chords = state((72, 67, 60, 48), (74, 67, 62, 48), (72, 65, 62, 48))
    counts = held_neighbours(chords, CANDIDATES)
    assert energy_of(chords, 1, 1, 67, counts) == 1  # the alto's G from the step before
    assert energy_of(chords, 3, 1, 48, counts) == 2  # the bass's C both ways
    assert energy_of(chords, 2, 1, 60, counts) == 1 and energy_of(chords, 2, 1, 64, counts) == 0
    rule = VoiceLeadingPrior(parallels=0.0, crossing=0.0, spacing=0.0, non_chord=0.0, range=0.0, hold=0.5)
    energy = rule.penalty(chords)[0, :, 1]
    assert float(energy[3, 48 - ONEHOT_LOW]) == -1.0
    assert float(energy[0].abs().sum()) == 0  # the soprano is the tune's


def test_cell_energy_is_the_energy_of_the_pitch_each_cell_holds():
    clean = state((72, 67, 64, 48), (71, 67, 62, 55))  # I -> V, no parallels
    assert float(ONLY_PARALLELS.cell_energy(clean).sum()) == 0
    fifths = state((72, 64, 55, 48), (74, 65, 57, 50))
    energy = ONLY_PARALLELS.cell_energy(fifths)[0]
    # Tenor-bass fifths and soprano-bass double octaves, charged to both voices at both steps.
    assert energy.tolist() == [[1, 1], [0, 0], [1, 1], [2, 2]]


def test_the_prior_steers_gibbs_sampling_away_from_parallels():
    """With a model that has no opinion (uniform logits) random voices make parallels; the prior
    makes the same sampler avoid them."""
    soprano = np.array([72, 74, 76, 77, 79, 77, 76, 74] * 4)
    pitches = torch.full((4, 4, soprano.size), REST)
    pitches[:, 0] = torch.from_numpy(soprano)
    mask = torch.ones_like(pitches, dtype=torch.bool)
    mask[:, 0] = False

    def uniform_model(onehot, block):
        return torch.zeros(onehot.shape)

    def parallels(sampled):
        rates = []
        for piece in sampled.numpy():
            chorale = chorale_from_pitches("toy", piece.astype(np.int16))
            rates.append(parallel_fifths(chorale) + parallel_octaves(chorale))
        return float(np.mean(rates))

    prior = VoiceLeadingPrior(parallels=20.0, crossing=20.0, spacing=0.0, non_chord=0.0, range=0.0)
    free_settings = GibbsSettings(steps=40, temperature=1.0, schedule="yao", voice_leading=None)
    ruled_settings = GibbsSettings(steps=40, temperature=1.0, schedule="yao", voice_leading=prior)
    free = gibbs_sample(uniform_model, pitches, mask, free_settings, torch.Generator().manual_seed(0))
    ruled = gibbs_sample(uniform_model, pitches, mask, ruled_settings, torch.Generator().manual_seed(0))
    assert parallels(free) > 0.02  # random chords: about 0.05 per transition
    assert parallels(ruled) == 0.0
    assert torch.equal(ruled[:, 0], pitches[:, 0])
