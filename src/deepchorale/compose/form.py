"""Form: develop a melody into a piece of a target duration that ends on a cadence in its key.

A short tune is never looped. The plan opens with the tune as given, then adds developments, as a
Baroque chorale prelude or variation set would (e.g. Bach's Partitas BWV 766-768):
- `sequence`: the first half of the tune transposed to a related key (dominant, subdominant...),
- `vary`: the tune with a figured soprano (scale runs through its leaps, neighbour notes),
- `reharmonise`: the tune again, harmonised afresh: the whole line is sampled in one chain from
  one seed, so the repeat gets its own chords from its place in that chain, not from another seed,
and closes with the tune's second half back in the home key, whose last chord is forced onto the
tonic. The number of developments and one tempo for the whole piece are chosen together so the
duration lands on the target, the tempo moving at most `max_tempo_change` from the tune's own.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from deepchorale.compose.melody import Melody, MelodyError
from deepchorale.compose.ornaments import scale_pitches
from deepchorale.data.chorale import REST, STEPS_PER_QUARTER
from deepchorale.data.registers import Registers, bach_registers

DEVELOPMENTS = ("sequence", "vary", "reharmonise")  # in the order they are added
SEQUENCE_INTERVALS = (7, -5, 5, -7, 2, -2)  # dominant first, then subdominant, then a step


@dataclass(frozen=True)
class Section:
    kind: str  # "statement", "reharmonise", "sequence", "vary", "close"
    pitches: np.ndarray  # the soprano of this section
    onsets: np.ndarray
    transposition: int = 0  # semitones from the home key
    from_melody: bool = True  # the soprano is the input tune (transposed), unaltered


@dataclass(frozen=True)
class Plan:
    sections: list[Section]
    qpm: float

    @property
    def num_steps(self) -> int:
        return sum(len(s.pitches) for s in self.sections)

    def seconds(self) -> float:
        return self.num_steps * 60.0 / (self.qpm * STEPS_PER_QUARTER)


def halves(melody: Melody) -> tuple[slice, slice]:
    """The tune split at the barline nearest its middle."""
    bar = STEPS_PER_QUARTER * 4 * melody.meter[0] // melody.meter[1]
    middle = melody.pickup + round((melody.num_steps - melody.pickup) / 2 / bar) * bar
    if melody.num_steps <= 2 * bar:
        middle = melody.num_steps // 2
    middle = min(max(middle, bar), melody.num_steps - bar) if melody.num_steps > 2 * bar else middle
    return slice(0, middle), slice(middle, melody.num_steps)


def sequence_interval(pitches: np.ndarray, soprano_band: tuple[int, int]) -> int:
    """The first related-key transposition that keeps the phrase in the soprano's band."""
    sounding = pitches[pitches != REST]
    low, high = soprano_band
    for interval in SEQUENCE_INTERVALS:
        if sounding.min() + interval >= low and sounding.max() + interval <= high:
            return interval
    return 0


def vary(melody: Melody) -> tuple[np.ndarray, np.ndarray]:
    """A figured soprano: leaps filled with 16th-note scale runs, repeated notes turned into
    upper-neighbour figures; every note keeps its onset, so the tune stays audible."""
    scale = scale_pitches(melody.key_tonic, melody.key_mode)
    pitches, onsets = melody.pitches.copy(), melody.onsets.copy()
    starts = np.flatnonzero(melody.onsets)
    for start, following in itertools.pairwise(starts):
        length, here, there = following - start, int(melody.pitches[start]), int(melody.pitches[following])
        if length < 4 or melody.pitches[start + 1 : following].tolist() != [here] * (length - 1):
            continue  # short notes, or a rest inside: leave them
        if here == there:
            figure = [int(scale[scale > here][0])]
        else:
            between = scale[(scale > min(here, there)) & (scale < max(here, there))]
            figure = (between if there > here else between[::-1]).tolist()[: length - 1]
            figure = figure[len(figure) - min(len(figure), length - 1) :]
        for offset, pitch in enumerate(figure):
            step = following - len(figure) + offset
            pitches[step] = pitch
            onsets[step] = True
    return pitches, onsets


def shifted(pitches: np.ndarray, semitones: int) -> np.ndarray:
    return np.where(pitches == REST, REST, pitches + semitones).astype(np.int16)


def development(kind: str, melody: Melody, soprano_band: tuple[int, int]) -> Section:
    first, _ = halves(melody)
    if kind == "reharmonise":
        return Section(kind, melody.pitches, melody.onsets)
    if kind == "sequence":
        interval = sequence_interval(melody.pitches[first], soprano_band)
        return Section(kind, shifted(melody.pitches[first], interval), melody.onsets[first], interval)
    pitches, onsets = vary(melody)
    return Section(kind, pitches, onsets, from_melody=False)


def plan_form(
    melody: Melody, target_seconds: float, max_tempo_change: float = 0.25, registers: Registers | None = None
) -> Plan:
    """Sections and tempo whose duration is `target_seconds`, or MelodyError if none fits; a
    sequence stays inside the soprano's band of `registers` (without them Bach's)."""
    soprano_band = (registers or bach_registers()).bands[0]
    if not 5.0 <= target_seconds <= 1800.0:
        raise MelodyError(f"target duration {target_seconds:g} s is outside 5-1800 s")
    _, second = halves(melody)
    opening = Section("statement", melody.pitches, melody.onsets)
    close = Section("close", melody.pitches[second], melody.onsets[second])
    best: Plan | None = None
    for count in range(0, 64):
        middle = [
            development(DEVELOPMENTS[i % len(DEVELOPMENTS)], melody, soprano_band) for i in range(count)
        ]
        sections = [opening, *middle, close] if count else [opening]
        steps = sum(len(s.pitches) for s in sections)
        qpm = steps * 60.0 / (STEPS_PER_QUARTER * target_seconds)
        candidate = Plan(sections, qpm)
        if best is None or abs(np.log(qpm / melody.qpm)) < abs(np.log(best.qpm / melody.qpm)):
            best = candidate
        if qpm > melody.qpm * (1 + max_tempo_change):
            break
    if abs(best.qpm / melody.qpm - 1) > max_tempo_change:
        return truncated_plan(melody, target_seconds, opening)
    return best


def truncated_plan(melody: Melody, target_seconds: float, opening: Section) -> Plan:
    """A tune longer than the target is cut at the last barline that fits, at its own tempo."""
    bar = STEPS_PER_QUARTER * 4 * melody.meter[0] // melody.meter[1]
    steps = int(target_seconds * melody.qpm * STEPS_PER_QUARTER / 60.0)
    cut = max(bar, melody.pickup + (steps - melody.pickup) // bar * bar)
    if cut >= melody.num_steps:
        raise MelodyError(f"{melody.name}: cannot fit {target_seconds:g} s even with tempo changes")
    section = Section("statement", opening.pitches[:cut], opening.onsets[:cut])
    return Plan([section], cut * 60.0 / (STEPS_PER_QUARTER * target_seconds))
