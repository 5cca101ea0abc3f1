"""The composition pipeline: melody -> form -> harmony -> embellishment -> ornaments -> a Chorale.

    melody (read, key/meter/tempo detected or given, placed where Bach's sopranos sing)
      -> plan_form: sections fitted to the target duration, ending in the home key
      -> harmonize: Coconet, annealed blocked Gibbs under the whole soprano line, tonic bass at the end
                    (or the GAN, bar by bar, with `sampler`: compose harmoniser=gan; or the GAN's
                    draft refined by Coconet's Gibbs: harmoniser=gan+coconet)
      -> revise: the judge's weakest windows redrawn by the harmoniser while the critic gains
      -> embellish: AR-CNN iterative resampling of the lower voices (DeepComposer's four knobs)
      -> ornament: passing/neighbour tones, suspensions, cadential trills by rule
    and at every stage, with an `articulator`, the lower voices strike held notes again where the
    articulation model draws it (`models/articulation.py`), so repeated notes stay repeated

Everything random draws from generators seeded by `seed`, so the same config gives the same notes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from deepchorale.compose.critic import Critic
from deepchorale.compose.embellish import EmbellishSettings, embellish
from deepchorale.compose.form import Plan, plan_form
from deepchorale.compose.harmonize import HarmonySettings, generated_cells, harmonize
from deepchorale.compose.melody import Melody, place_in_register
from deepchorale.compose.ornaments import OrnamentSettings, ornament
from deepchorale.compose.refine import RefineSettings
from deepchorale.compose.revise import RevisionSettings, revise
from deepchorale.data.chorale import REST, Chorale, chorale_from_pitches
from deepchorale.data.registers import Registers, bach_registers
from deepchorale.models.arcnn import Arcnn
from deepchorale.models.articulation import Articulator, bar_phase
from deepchorale.models.gan import GanSettings
from deepchorale.models.protocol import Infiller
from deepchorale.sampling.voice_leading import VoiceLeadingPrior, parallel_cells


@dataclass
class Composition:
    chorale: Chorale
    plan: Plan
    melody: Melody
    tune_steps: np.ndarray  # (T,) True where the soprano is the input tune, unaltered
    seconds: dict[str, float] = field(default_factory=dict)  # time spent per stage
    stages: dict[str, Chorale] = field(default_factory=dict)  # the piece after each stage, in order


def soprano_line(plan: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The concatenated sections: pitches, onsets, and where the tune itself is clamped."""
    pitches = np.concatenate([s.pitches for s in plan.sections]).astype(np.int16)
    onsets = np.concatenate([s.onsets for s in plan.sections])
    tune = np.concatenate([np.full(len(s.pitches), s.from_melody) for s in plan.sections])
    return pitches, onsets, tune


def with_soprano_onsets(pitches: np.ndarray, soprano_onsets: np.ndarray, melody: Melody, id: str) -> Chorale:
    """Lower voices articulate where their pitch changes; the soprano keeps the tune's own onsets
    (repeated notes in the tune stay repeated). The final chord carries a fermata."""
    chorale = chorale_from_pitches(
        id,
        pitches,
        meter=melody.meter,
        pickup=melody.pickup,
        key_tonic=melody.key_tonic,
        key_mode=melody.key_mode,
    )
    onsets = chorale.onsets.copy()
    onsets[0] = (soprano_onsets | onsets[0]) & (pitches[0] != REST)
    fermatas = np.zeros(chorale.num_steps, bool)
    last = np.flatnonzero(soprano_onsets)[-1]
    fermatas[last:] = True
    return replace(chorale, onsets=onsets, fermatas=fermatas)


def bass_on_eighths(pitches: np.ndarray, pickup: int) -> np.ndarray:
    """The bass moving on the 8th grid only: each 8th holds one bass pitch, the one its first 16th
    had (a note starting on the off-16th starts a 16th later; a 16th-long one is gone), unless that
    moves in parallel fifths or octaves with an upper voice and the off-16th's pitch does not: then
    the note starts a 16th early. Bach's basses move in 8ths (0.1 % of his bass onsets fall between
    them); Coconet's 16th-step cells and revise's short redraws do not know it, and their sampler
    never saw the parallels a shifted note can make (the default track's harmony gained one so)."""
    held = pitches.copy()
    for start in range(pickup % 2, pitches.shape[1], 2):  # each 8th's first step
        stop = min(start + 2, pitches.shape[1])
        first, second = pitches[3, start], pitches[3, stop - 1]
        held[3, start:stop] = first
        if second != first and _bass_parallels(held, start, stop):
            held[3, start:stop] = second
            if _bass_parallels(held, start, stop):
                held[3, start:stop] = first
    return held


def _bass_parallels(pitches: np.ndarray, start: int, stop: int) -> bool:
    """The bass moves in parallel fifths or octaves with an upper voice into `start` or out of
    `stop - 1`: the prior's own test (`parallel_cells`) on the steps around them."""
    low, high = max(start - 1, 0), min(stop + 1, pitches.shape[1])
    window = torch.from_numpy(pitches[None, :, low:high].astype(np.int64))
    return bool(parallel_cells(window)[0, 3, [start - low, stop - 1 - low]].any())


def for_piece(stage, registers: Registers, key: tuple[int, str]):
    """A stage's settings with their part-writing rules (`voice_leading`, `guard`) set for the piece:
    its voices in `registers` (bands and medians), its lower voices in `key`."""
    rules = {
        name: replace(prior, bands=registers.bands, medians=registers.medians, key=key)
        for name in ("voice_leading", "guard")
        if isinstance(prior := getattr(stage, name, None), VoiceLeadingPrior)
    }
    return replace(stage, **rules) if rules else stage


def compose_track(
    melody: Melody,
    harmoniser: Infiller,
    arcnn: Arcnn | None,
    *,
    target_seconds: float,
    max_tempo_change: float,
    harmony: HarmonySettings,
    sampler: GanSettings | RefineSettings | None = None,
    revision: RevisionSettings | None,
    embellishment: EmbellishSettings | None,
    ornaments: OrnamentSettings | None,
    seed: int,
    critic: Critic | None = None,
    articulator: Articulator | None = None,
    progress: Callable[[str, float], None] | None = None,
    transpose: bool = False,
    registers: Registers | None = None,
) -> Composition:
    """The composition of `melody`. Where a stage draws several candidates (`harmony`,
    `embellishment` or `ornaments.candidates` > 1), `critic` keeps its favourite (the candidates
    are successive draws of one seeded generator, so the choice is reproducible); with `revision`
    it guides the revision. Coconet revises with `harmony`'s sampler at
    `revision.steps`; the GAN-based harmonisers with their `sampler`. `progress(stage, seconds)` is
    told as each stage ends. The tune is moved by octaves where the sopranos of `registers` sing
    (without them Bach's), or with `transpose` to any key (`place_in_register`); the part-writing
    rules keep every voice in its band there, and the lower voices in the melody's key."""
    counts = [stage.candidates for stage in (harmony, embellishment, ornaments) if stage is not None]
    if max(counts) > 1 and critic is None:
        raise ValueError("several candidates of a stage need a `critic` to choose between them")
    if revision is not None and (critic is None or critic.judge is None):
        raise ValueError("revision needs a `critic` with a judge to find the weakest windows")
    clock = time.perf_counter()
    seconds: dict[str, float] = {}

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = now - clock
        clock = now
        if progress is not None:
            progress(stage, seconds[stage])

    registers = registers or bach_registers()
    torch.manual_seed(seed)
    melody = place_in_register(melody, transpose, registers)
    harmony, sampler, embellishment, ornaments = (
        for_piece(stage, registers, (melody.key_tonic, melody.key_mode))
        for stage in (harmony, sampler, embellishment, ornaments)
    )
    plan = plan_form(melody, target_seconds, max_tempo_change, registers)
    soprano, soprano_onsets, tune_steps = soprano_line(plan)
    lap("plan")

    def as_chorale(pitches: np.ndarray) -> Chorale:
        pitches = bass_on_eighths(pitches, melody.pickup)
        chorale = with_soprano_onsets(pitches, soprano_onsets, melody, melody.name)
        if articulator is None:
            return chorale
        # One stream per call: the same pitches are articulated the same way, so the critic
        # compares candidates' notes, not their draws of articulation.
        onsets = articulator.onsets(
            torch.from_numpy(pitches[None].astype(np.int64)),
            torch.from_numpy(chorale.onsets[:1].copy()),
            bar_phase(chorale.num_steps, chorale.bar_steps, chorale.pickup)[None],
            torch.Generator().manual_seed(seed + 3),
        )
        return replace(chorale, onsets=onsets[0].cpu().numpy())

    def favourite(chorales: list[Chorale]) -> int:
        return 0 if len(chorales) == 1 else int(np.argmax(critic.scores(chorales)))

    generator = torch.Generator(device=harmoniser.device).manual_seed(seed)
    drawn = [
        harmonize(harmoniser, soprano, harmony, final_tonic=melody.key_tonic, generator=generator,
                  sampler=sampler)
        for _ in range(harmony.candidates)
    ]  # fmt: skip
    pitches = drawn[favourite([as_chorale(p) for p in drawn])]
    stages = {"harmonize": as_chorale(pitches)}
    lap("harmonize")
    if revision is not None:
        draw = sampler if sampler is not None else replace(harmony, steps=revision.steps)
        free = generated_cells(soprano, melody.key_tonic)
        pitches = revise(harmoniser, pitches, free, draw, revision, critic, as_chorale, generator)
        stages["revise"] = as_chorale(pitches)
    lap("revise")
    if arcnn is not None and embellishment is not None:
        generator = torch.Generator(device=arcnn.device).manual_seed(seed + 1)
        final_chord = int(np.flatnonzero(soprano_onsets)[-1])
        drawn = [
            embellish(arcnn, pitches, embellishment, generator, frozen_from=final_chord)
            for _ in range(embellishment.candidates)
        ]
        pitches = drawn[favourite([as_chorale(p) for p in drawn])]
        stages["embellish"] = as_chorale(pitches)
    lap("embellish")
    chorale = as_chorale(pitches)
    if ornaments is not None:
        rng = np.random.default_rng(seed + 2)
        drawn = [ornament(chorale, ornaments, rng) for _ in range(ornaments.candidates)]
        chorale, trilled = drawn[favourite([c for c, _ in drawn])]
        tune_steps = tune_steps & ~trilled
        stages["ornament"] = chorale
    lap("ornament")
    return Composition(chorale, plan, melody, tune_steps, seconds, stages)
