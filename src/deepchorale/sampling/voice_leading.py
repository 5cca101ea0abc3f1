"""A voice-leading prior for Gibbs sampling: the part-writing rules as log-weights on proposals.

A CPU-sized Coconet learns chorale texture but not the rules a composition student is drilled in:
its samples move in parallel fifths and octaves more often than random chords do. Rather than
filter finished pieces, the sampler draws every cell from a product of experts,

    p(pitch | rest) ∝ p_model(pitch | rest)^(1/temperature) · exp(−E(pitch | rest)),

where E adds a fixed penalty for each rule the pitch would break against the cells around it
(the other voices at the same step, and both voices at the steps before and after):
- `parallels`: parallel fifths or octaves (unisons included) with another voice, into or out of
  the step: both voices move in the same direction and keep the same perfect interval class,
  the rule `evaluation.metrics.parallel_motion` measures;
- `crossing`: sounding above the voice above or below the voice below;
- `spacing`: more than an octave from the neighbouring upper voice (soprano-alto, alto-tenor);
- `non_chord`: a pitch-class set with the other voices that is not a complete triad or seventh
  (`evaluation.metrics.triad_or_seventh_rate`), or with `fifthless_chords` one without its fifth
  (`data.chords.FIFTH_OMITTED`): Bach's passing tones survive a moderate penalty;
- `range`: per semitone outside the voice's register in Bach (`data.registers.bach_bands`, p2-p98 of
  his notes, the bands `evaluation.metrics.register_outlier_rate` counts), or in the corpus given as
  `bands`: Coconet's inner voices drift high and hug the soprano without it;
- `seventh`: a seventh chord (complete or without its fifth) with the other voices. The
  `non_chord` rule takes a seventh as readily as a triad, and Coconet's tracks sound one at 21 % of
  their four-voice steps where Bach's chorales do at 16 %, the Turing test's first cue;
- `hold` (a reward): per neighbouring step (before, after) where an alto, tenor or bass candidate
  keeps the voice's pitch. Coconet's inner voices move more often than Bach's (alto onsets 4.5 a
  bar against his 4.1, chord changes 6.3 against 5.7), so they hold fewer notes, and the articulation
  net, which re-strikes only held notes, writes fewer repeated notes than he does (alto 0.13 of its
  moves against 0.19);
- `centre`: per semitone between an alto, tenor or bass pitch and the voice's median in Bach
  (`data.registers.bach_medians`), or in the corpus given as `medians`. Bach's lower voices keep
  their place whatever the tune does (over his test chorales the tenor's mean moves 0.34 semitone
  per semitone of the soprano's); Coconet's follow the soprano (0.72), and so leave his bands on
  high tunes;
- `out_of_key`: an alto, tenor or bass pitch outside the piece's `key` (`data.key.SCALES`: minor
  with its raised 6th and 7th). Bach's lower voices sound 4.4 % of their notes outside the home key
  (secondary dominants, modulations); Coconet's 6.3 %, a chromatic wobble the Turing test hears;
- `contrary` (a reward, not a penalty): per move of the bass against the soprano's, into or out of
  the step. Bach's outer voices move in contrary motion at a third of their moves; Coconet's
  harmonisations at a quarter, which the Turing test's discriminators hear.
The rules come from common-practice part-writing (e.g. Aldwell & Schachter, *Harmony and Voice
Leading*, ch. 5; Huron, "Tone and Voice", Music Perception 19(1), 2001). A penalty of ~6 nats makes
a rule-breaking pitch 400× less likely than the model alone would have it: a strong prior, not a
ban, so a melody that forces a parallel still gets a harmony.
The last five (`seventh` to `contrary`) aim at the cues the Turing test's discriminators rank; each
moved its own figure on the validation sopranos, none lowered their AUC (benchmarks/README.md), so
compose ships them off (`conf/sampler/coconet.yaml`): they stay for searches over the prior.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from deepchorale.data.chorale import REST
from deepchorale.data.chords import IS_CHORD, IS_CHORD_OR_FIFTHLESS, IS_SEVENTH
from deepchorale.data.convert import ONEHOT_HIGH, ONEHOT_LOW
from deepchorale.data.key import in_key
from deepchorale.data.registers import bach_bands, bach_medians

PERFECT_CLASSES = (0, 7)  # unison/octave, fifth (semitones mod 12)
UPPER_SPACING_LIMIT = 12  # semitones between soprano-alto and alto-tenor


@dataclass(frozen=True)
class VoiceLeadingPrior:
    """Penalties, in nats, for each rule a proposed pitch breaks; 0 turns a rule off."""

    parallels: float
    crossing: float
    spacing: float
    non_chord: float
    range: float
    # `non_chord` also accepts triads and sevenths without their fifth; the default is for the
    # samplers stored in weights files from before it (conf/sampler/coconet.yaml turns it on).
    fifthless_chords: bool = False
    # Each voice's (lowest, highest) for `range`, soprano first: None is Bach's (`bach_bands`);
    # compose gives another corpus's when its harmoniser was trained on one (`compose.registers`).
    bands: tuple[tuple[int, int], ...] | None = None
    # Nats off a bass candidate's energy per move against the soprano's (0 in files from before it).
    contrary: float = 0.0
    # Nats per lower-voice pitch outside `key` (tonic pitch class, "major" | "minor"); compose sets
    # the key of the melody it harmonises, and without one the rule is off.
    out_of_key: float = 0.0
    key: tuple[int, str] | None = None
    # Nats per candidate that makes a seventh chord (0 in files from before it).
    seventh: float = 0.0
    # Nats off per neighbouring step holding the same pitch, lower voices only.
    hold: float = 0.0
    # Nats per semitone from the voice's median, lower voices only; `medians` None is Bach's.
    centre: float = 0.0
    medians: tuple[int, ...] | None = None

    def penalty(self, state: Tensor) -> Tensor:
        """(B, 4, T) current pitches (−1 = rest) -> (B, 4, T, 46) energy of every candidate pitch."""
        candidates = torch.arange(ONEHOT_LOW, ONEHOT_HIGH + 1, device=state.device)
        energy = torch.zeros((*state.shape, candidates.numel()), device=state.device)
        if self.parallels:
            energy += self.parallels * parallel_count(state, candidates)
        if self.crossing or self.spacing:
            crossing, spacing = crossing_and_spacing(state, candidates)
            energy += self.crossing * crossing + self.spacing * spacing
        if self.non_chord:
            energy += self.non_chord * ~forms_chord(state, candidates, self.fifthless_chords)
        if self.range:
            energy += self.range * semitones_outside_register(candidates, self.bands)[None, :, None, :]
        if self.contrary:
            energy -= self.contrary * contrary_moves(state, candidates)
        if self.seventh:
            energy += self.seventh * forms_seventh(state, candidates)
        if self.hold:
            energy[:, 1:] -= self.hold * held_neighbours(state, candidates)[:, 1:]
        if self.centre:
            medians = torch.as_tensor(bach_medians() if self.medians is None else self.medians)
            distance = (candidates[None] - medians.to(state.device)[1:, None]).abs()
            energy[:, 1:] += self.centre * distance[None, :, None, :]
        if self.out_of_key and self.key is not None:
            outside = ~torch.from_numpy(in_key(*self.key)).to(state.device)[candidates % 12]
            energy[:, 1:] += self.out_of_key * outside
        return energy

    def cell_energy(self, state: Tensor) -> Tensor:
        """(B, 4, T) the energy of each cell's own pitch given the others; 0 for rests."""
        index = (state.clamp(ONEHOT_LOW, ONEHOT_HIGH) - ONEHOT_LOW).long()
        energy = self.penalty(state).gather(-1, index[..., None])[..., 0]
        return torch.where(state == REST, 0.0, energy)


def _shifted(state: Tensor, offset: int) -> Tensor:
    """state[..., t + offset], rests past the ends."""
    rest = torch.full_like(state[..., : abs(offset)], REST)
    if offset > 0:
        return torch.cat([state[..., offset:], rest], dim=-1)
    return torch.cat([rest, state[..., :offset]], dim=-1)


# Every ordered pair of voices (this voice, another), this voice's first: PAIR_SELF[3 v + k] = v.
PAIR_SELF = torch.tensor([voice for voice in range(4) for other in range(4) if other != voice])
PAIR_OTHER = torch.tensor([other for voice in range(4) for other in range(4) if other != voice])


def parallel_count(state: Tensor, candidates: Tensor) -> Tensor:
    """(B, 4, T, P): how many voice pairs a candidate for (voice, step) would move in parallel
    perfect intervals with, counting the move into the step and the move out of it.

    All twelve ordered voice pairs at once: the sampler calls this at every Gibbs step and the
    ornaments for every figure they try, so its cost is the number of tensor operations."""
    self_index, other_index = PAIR_SELF.to(state.device), PAIR_OTHER.to(state.device)
    # int16 holds every difference of two pitches and moves a quarter of int64's bytes.
    state, cand = state.to(torch.int16), candidates.to(torch.int16).view(1, 1, 1, -1)
    here_other = state[:, other_index, :, None]  # (B, 12, T, 1): the other voice at this step
    # The candidate's interval with the other voice, per (other voice, step, candidate).
    interval_here = (cand - state[..., None]).abs() % 12
    interval_here = interval_here[:, other_index]
    count = torch.zeros((*state.shape, candidates.numel()), device=state.device)
    for offset in (-1, 1):
        other_time = _shifted(state, offset)  # the step before (−1) or after (+1)
        there_self = other_time[:, self_index, :, None]  # this voice at the neighbouring step
        there_other = other_time[:, other_index, :, None]
        sounds = (here_other != REST) & (there_self != REST) & (there_other != REST)
        # Direction of each voice from the earlier step to the later one.
        self_motion = torch.sign((other_time[..., None] - cand) * offset)[:, self_index]
        other_motion = torch.sign((there_other - here_other) * offset)
        interval_there = (there_self - there_other).abs() % 12
        perfect_there = (interval_there == PERFECT_CLASSES[0]) | (interval_there == PERFECT_CLASSES[1])
        same_direction = (self_motion == other_motion) & (self_motion != 0)
        hits = sounds & perfect_there & same_direction & (interval_here == interval_there)
        count += hits.view(state.shape[0], 4, 3, *hits.shape[2:]).sum(2)
    return count


def contrary_moves(state: Tensor, candidates: Tensor) -> Tensor:
    """(B, 4, T, P): for the bass's candidates, how many of its two moves (into the step, out of
    it) go against the soprano's move; 0 in the other voices' rows."""
    count = torch.zeros((*state.shape, candidates.numel()), device=state.device)
    soprano, bass, cand = state[:, 0], state[:, 3], candidates.view(1, 1, -1)
    for offset in (-1, 1):
        soprano_there, bass_there = _shifted(soprano, offset), _shifted(bass, offset)
        sounds = (soprano != REST) & (soprano_there != REST) & (bass_there != REST)
        soprano_motion = torch.sign((soprano_there - soprano) * offset)  # later step minus earlier
        bass_motion = torch.sign((bass_there[..., None] - cand) * offset)
        count[:, 3] += sounds[..., None] & (soprano_motion[..., None] * bass_motion < 0)
    return count


def held_neighbours(state: Tensor, candidates: Tensor) -> Tensor:
    """(B, 4, T, P): at how many of its two neighbouring steps the voice already sings the candidate."""
    cand = candidates.view(1, 1, 1, -1)
    return sum((_shifted(state, offset)[..., None] == cand).float() for offset in (-1, 1))


def parallel_cells(state: Tensor) -> Tensor:
    """(B, 4, T) bool: the sounding cells whose own pitch moves in parallels with another voice."""
    candidates = torch.arange(ONEHOT_LOW, ONEHOT_HIGH + 1, device=state.device)
    index = (state.clamp(ONEHOT_LOW, ONEHOT_HIGH) - ONEHOT_LOW).long()
    counts = parallel_count(state, candidates).gather(-1, index[..., None])[..., 0]
    return (counts > 0) & (state != REST)


def crossing_and_spacing(state: Tensor, candidates: Tensor) -> tuple[Tensor, Tensor]:
    """(B, 4, T, P) each: the candidate crosses a neighbouring voice; it is more than an octave
    from a neighbouring upper voice (soprano-alto, alto-tenor)."""
    shape = (*state.shape, candidates.numel())
    crossing = torch.zeros(shape, device=state.device)
    spacing = torch.zeros(shape, device=state.device)
    cand = candidates.view(1, 1, -1)
    for voice in range(4):
        if voice > 0:
            above = state[:, voice - 1, :, None]
            sounds = above != REST
            crossing[:, voice] += (sounds & (cand > above)).float()
            if voice <= 2:
                spacing[:, voice] += (sounds & (above - cand > UPPER_SPACING_LIMIT)).float()
        if voice < 3:
            below = state[:, voice + 1, :, None]
            sounds = below != REST
            crossing[:, voice] += (sounds & (cand < below)).float()
            if voice <= 1:
                spacing[:, voice] += (sounds & (cand - below > UPPER_SPACING_LIMIT)).float()
    return crossing, spacing


def semitones_outside_register(
    candidates: Tensor, bands: tuple[tuple[int, int], ...] | None = None
) -> Tensor:
    """(4, P) how far each candidate pitch lies outside each voice's register (0 inside): in
    `bands`, or in Bach's without them."""
    bands = torch.as_tensor(bach_bands() if bands is None else bands, device=candidates.device)
    below = (bands[:, :1] - candidates[None]).clamp(min=0)
    above = (candidates[None] - bands[:, 1:]).clamp(min=0)
    return (below + above).float()


def candidate_chords(state: Tensor, candidates: Tensor) -> tuple[Tensor, Tensor]:
    """(B, 4, T, P) the 12-bit pitch-class set each candidate makes with the other voices, and
    (B, 4, T, 1) whether all three other voices sound (the steps a chord rule judges)."""
    bits = torch.where(state != REST, 1 << (state.clamp(min=0) % 12), 0)  # (B, 4, T)
    sets = torch.empty((*state.shape, candidates.numel()), dtype=bits.dtype, device=state.device)
    judged = torch.empty((*state.shape, 1), dtype=torch.bool, device=state.device)
    candidate_bits = (1 << (candidates % 12)).view(1, 1, -1)
    for voice in range(4):
        others_bits = torch.zeros_like(bits[:, 0])
        all_sound = torch.ones_like(others_bits, dtype=torch.bool)
        for other in (v for v in range(4) if v != voice):
            others_bits = others_bits | bits[:, other]
            all_sound &= state[:, other] != REST
        sets[:, voice] = others_bits[..., None] | candidate_bits
        judged[:, voice] = all_sound[..., None]
    return sets, judged


def forms_chord(state: Tensor, candidates: Tensor, fifthless: bool = False) -> Tensor:
    """(B, 4, T, P) bool: the candidate's pitch class and the other voices' form a complete triad
    or seventh (with `fifthless`, or one without its fifth). Steps where another voice rests are
    not judged (True), as the metric skips them."""
    is_chord = torch.from_numpy(IS_CHORD_OR_FIFTHLESS if fifthless else IS_CHORD).to(state.device)
    sets, judged = candidate_chords(state, candidates)
    return is_chord[sets] | ~judged


def forms_seventh(state: Tensor, candidates: Tensor) -> Tensor:
    """(B, 4, T, P) bool: the candidate makes a seventh chord with the other voices (complete or
    without its fifth, `data.chords.IS_SEVENTH`), all four sounding."""
    sets, judged = candidate_chords(state, candidates)
    return torch.from_numpy(IS_SEVENTH).to(state.device)[sets] & judged
