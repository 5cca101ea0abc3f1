"""The melody to harmonise: one part of a score file (read by `data/scores.py`) or a built-in tune,
on the 16th grid.

Every path ends in a `Melody` with its meter, pickup, tempo and key (detected, overridable), and
every bad input ends in one `MelodyError` naming the problem, never a traceback.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import numpy as np

from deepchorale.compose.tunes import BUILTIN_MELODIES
from deepchorale.data.chorale import PITCH_CLASS_NAMES, REST, STEPS_PER_QUARTER
from deepchorale.data.convert import ONEHOT_HIGH, ONEHOT_LOW
from deepchorale.data.key import estimate_key
from deepchorale.data.musicxml import Part, PartNote
from deepchorale.data.registers import Registers, bach_registers
from deepchorale.data.scores import SCORE_SUFFIXES, ScoreError, grid_meter, on_grid, read_score, to_step

# Where a tune may go: up to Coconet's top pitch, and down to an octave above its lowest, which
# leaves the three lower voices room.
SOPRANO_REACH = (ONEHOT_LOW + 12, ONEHOT_HIGH)
# Track names that say "this is the tune" in MIDI files from DAWs, notation programs and the web.
MELODY_TRACK_NAMES = re.compile(r"melod|lead|vocal|voice|sopran|tune|theme|singer", re.IGNORECASE)
LEGATO_OVERLAP = Fraction(1, 8)  # quarters a note may overlap the next in a single line (a 32nd)
NOTE_NAMES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


class MelodyError(ValueError):
    """The melody cannot be used; the message says why in one line."""


@dataclass(frozen=True)
class Melody:
    name: str
    pitches: np.ndarray  # (T,) MIDI pitch per 16th step, -1 = rest
    onsets: np.ndarray  # (T,) True where a note starts
    meter: tuple[int, int] = (4, 4)
    pickup: int = 0
    qpm: float = 96.0
    key_tonic: int = 0
    key_mode: str = "major"

    @property
    def num_steps(self) -> int:
        return len(self.pitches)

    def transpose(self, semitones: int) -> Melody:
        pitches = np.where(self.pitches == REST, REST, self.pitches + semitones).astype(np.int16)
        return replace(self, pitches=pitches, key_tonic=(self.key_tonic + semitones) % 12)


def melody_from_notes(
    name: str, notes: list[tuple[int, int, int]], num_steps: int | None = None, **metadata
) -> Melody:
    """(start, end, pitch) notes -> Melody; overlapping notes keep the highest (the top voice)."""
    if not notes:
        raise MelodyError(f"{name}: no notes")
    length = max(num_steps or 0, max(end for _, end, _ in notes))
    pitches = np.full(length, REST, np.int16)
    onsets = np.zeros(length, bool)
    for start, end, pitch in sorted(notes, key=lambda n: (n[2], n[0])):  # higher pitches win
        pitches[start:end] = pitch
        onsets[start] = True
        onsets[start + 1 : end] = False
    onsets &= pitches != REST
    previous = np.concatenate([[REST], pitches[:-1]])
    onsets |= (pitches != REST) & (pitches != previous)  # a note uncovered by a higher one restarts
    melody = Melody(name, pitches, onsets, **metadata)
    if "key_tonic" not in metadata:
        sounding = pitches[pitches != REST]
        tonic, mode = estimate_key(pitches, final_bass=int(sounding[-1]))
        melody = replace(melody, key_tonic=tonic, key_mode=mode)
    return melody


def parse_tune(name: str) -> Melody:
    tune = BUILTIN_MELODIES[name]
    notes, step = [], 0
    for token in tune.notes.split():
        spelled, duration = token.split(":")
        if spelled != "r":
            letter, accidental, octave = re.fullmatch(r"([A-G])([#b]?)(-?\d)", spelled).groups()
            pitch = 12 * (int(octave) + 1) + NOTE_NAMES[letter] + {"#": 1, "b": -1, "": 0}[accidental]
            notes.append((step, step + int(duration), pitch))
        step += int(duration)
    return melody_from_notes(name, notes, step, meter=tune.meter, pickup=tune.pickup, qpm=tune.qpm)


def is_monophonic(notes: list[PartNote]) -> bool:
    """At most one note at a time, bar a few overlaps (legato playing, grace notes)."""
    ordered = sorted(notes, key=lambda n: n.onset)
    overlaps = sum(b.onset < a.onset + a.duration - LEGATO_OVERLAP for a, b in itertools.pairwise(ordered))
    return overlaps <= 0.1 * len(ordered)


def melody_part(parts: list[Part], voiced: list[int]) -> int:
    """The part that carries the tune: one named so (melody, lead, vocals...), else the highest of
    the single-line parts (chord pads and piano parts sit high but are not the tune), by median pitch
    so that a few high notes of a bass line do not win."""
    named = [i for i in voiced if MELODY_TRACK_NAMES.search(parts[i].name)]
    single_lines = [i for i in voiced if is_monophonic(parts[i].notes)]
    candidates = named or single_lines or voiced
    return max(candidates, key=lambda i: np.median([n.pitch for n in parts[i].notes]))


def read_melody(path: Path, track: int | None = None) -> Melody:
    """One part of a score file (`track`, numbered as in the file, or `melody_part`) as a Melody;
    within the part, overlapping notes keep the highest (a skyline: the tune of a piano part)."""
    try:
        score = read_score(path)
    except ScoreError as error:
        raise MelodyError(f"{path.name}: {error}") from error
    voiced = [i for i, part in enumerate(score.parts) if part.notes]
    if track is not None and track not in voiced:
        raise MelodyError(f"{path.name}: track {track} has no pitched notes (pitched tracks: {voiced})")
    part = score.parts[track if track is not None else melody_part(score.parts, voiced)]
    notes = [(n.start, n.end, n.pitch) for n in on_grid([(0, part)], score.performed).notes]
    metadata = {"qpm": score.qpm} if score.qpm else {}
    meter, pickup = grid_meter(score.meter), to_step(score.pickup)
    return melody_from_notes(path.stem, notes, meter=meter, pickup=pickup, **metadata)


def load_melody(source: str, track: int | None = None) -> Melody:
    """A built-in tune by name, or a score file by path."""
    if source in BUILTIN_MELODIES:
        return parse_tune(source)
    path = Path(source)
    if not path.exists():
        if path.suffix.lower() not in SCORE_SUFFIXES:
            raise MelodyError(
                f"unknown melody {source!r}: not a file, nor a built-in ({', '.join(BUILTIN_MELODIES)})"
            )
        raise MelodyError(f"melody file {path} not found")  # the whole path: where it was looked for
    return read_melody(path, track)


def place_in_register(melody: Melody, transpose: bool = False, registers: Registers | None = None) -> Melody:
    """The tune where the corpus's sopranos sing (`registers`; without them Bach's): the shift
    leaving the fewest notes outside the soprano's band (p2-p98 of its notes), ties to the mean
    nearest their median pitch. By octaves, so the key stays the tune's; with `transpose`, by any
    number of semitones, which moves the key with it. Every note stays within `SOPRANO_REACH`; a
    tune that no shift keeps within it (too wide) is refused."""
    sounding = melody.pitches[melody.pitches != REST].astype(np.int64)
    if sounding.size == 0:
        raise MelodyError(f"{melody.name}: no notes, nothing to harmonise")
    lowest, highest = int(sounding.min()), int(sounding.max())
    reach_low, reach_high = SOPRANO_REACH
    step = 1 if transpose else 12
    shifts = [s for s in range(-120, 121, step) if lowest + s >= reach_low and highest + s <= reach_high]
    if not shifts:
        raise MelodyError(
            f"{melody.name}: no notes in a singable range (spans MIDI {lowest}-{highest}, {highest - lowest} "
            f"semitones: no octave shift fits it in MIDI {reach_low}-{reach_high}, a soprano line's reach)"
        )
    registers = registers or bach_registers()
    (low, high), median = registers.bands[0], registers.medians[0]

    def misfit(shift: int) -> tuple[float, float, int]:
        moved = sounding + shift
        outside = float(np.mean((moved < low) | (moved > high)))
        return outside, abs(float(moved.mean()) - median), abs(shift)  # last: the smaller move

    return melody.transpose(min(shifts, key=misfit))


def at_chorale_pace(melody: Melody) -> tuple[Melody, int]:
    """The tune with its note values doubled until its median note is a quarter, as chorale tunes
    move (Bach's sopranos: median a quarter, 72 % of notes), and the factor applied. A folk tune
    written in 8ths becomes a chorale tune in quarters: same notes, same rhythm, each value twice
    as long (2/4 -> 2/2), so the harmoniser, which learned one chord per quarter, sets one per
    note rather than treating every other note as passing. The tempo mark stays, so it sounds
    as slow as a chorale."""
    starts = np.flatnonzero(melody.onsets)
    lengths = np.diff(np.append(starts, melody.num_steps))
    factor = 1
    while starts.size and np.median(lengths) * factor < STEPS_PER_QUARTER:
        factor *= 2
    if factor == 1:
        return melody, 1
    onsets = np.zeros(melody.num_steps * factor, bool)
    onsets[starts * factor] = True
    augmented = replace(
        melody,
        pitches=np.repeat(melody.pitches, factor),
        onsets=onsets,
        meter=grid_meter(melody.meter, Fraction(factor)),
        pickup=melody.pickup * factor,
    )
    return augmented, factor


KEY_NAMES = {
    **{name: i for i, name in enumerate(PITCH_CLASS_NAMES)},
    **{"Db": 1, "D#": 3, "Gb": 6, "G#": 8, "A#": 10},
}


def with_given_key_and_tempo(melody: Melody, key: str | None, qpm: float | None) -> Melody:
    """The user's key ("D major", "F# minor") and tempo, where given, over what was detected."""
    if key:
        match = re.fullmatch(r"([A-G][#b]?)\s+(major|minor)", key.strip())
        if not match or match.group(1) not in KEY_NAMES:
            raise MelodyError(f"key {key!r} is not like 'D major' or 'F# minor'")
        melody = replace(melody, key_tonic=KEY_NAMES[match.group(1)], key_mode=match.group(2))
    if qpm is not None:
        if not 20 <= qpm <= 300:
            raise MelodyError(f"tempo {qpm} qpm is outside 20-300")
        melody = replace(melody, qpm=float(qpm))
    return melody
