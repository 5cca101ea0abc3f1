"""The `Chorale` record: four voices on a 16th-note grid, the one type every other part reads.

Everything else (Coconet one-hot, merged piano roll, MIDI) is a view computed in
`deepchorale.data.convert`; nothing here knows about models or files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np

VOICES = ("soprano", "alto", "tenor", "bass")
# The textbook SATB ranges, (lowest, highest) MIDI pitch per voice: S C4-A5, A G3-D5, T C3-A4, B E2-E4
# (generous ones; see `evaluation.metrics.range_violation_rate`)
SATB_RANGES = ((60, 81), (55, 74), (48, 69), (40, 64))
REST = -1
STEPS_PER_QUARTER = 4  # 16th-note resolution
PITCH_CLASS_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


@dataclass(frozen=True)
class Note:
    voice: int
    start: int  # step of the onset
    end: int  # first step after the note
    pitch: int  # MIDI number


@dataclass(frozen=True, eq=False)
class Chorale:
    """Four voices (S, A, T, B) x T steps.

    `pitches[v, t]` is the MIDI pitch sounding in voice v at step t, or REST (-1).
    `onsets[v, t]` is True where a note starts, so a repeated note is two notes, not one long one.
    `fermatas[t]` is True on steps covered by a note that carries a fermata.
    `pickup` is the number of steps before the first downbeat (an anacrusis).
    """

    id: str
    pitches: np.ndarray
    onsets: np.ndarray
    fermatas: np.ndarray
    meter: tuple[int, int] = (4, 4)
    key_tonic: int = 0  # pitch class of the tonic, 0 = C
    key_mode: str = "major"
    pickup: int = 0
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        pitches = np.asarray(self.pitches, dtype=np.int16)
        onsets = np.asarray(self.onsets, dtype=bool)
        fermatas = np.asarray(self.fermatas, dtype=bool)
        if pitches.ndim != 2 or pitches.shape[0] != len(VOICES):
            raise ValueError(f"{self.id}: pitches must have shape (4, T), got {pitches.shape}")
        if onsets.shape != pitches.shape or fermatas.shape != (pitches.shape[1],):
            raise ValueError(f"{self.id}: onsets/fermatas do not match pitches {pitches.shape}")
        if np.any((pitches < REST) | (pitches > 127)):
            raise ValueError(f"{self.id}: pitches must be MIDI numbers 0-127 or -1 for a rest")
        if np.any(onsets & (pitches == REST)):
            raise ValueError(f"{self.id}: an onset falls on a rest")
        # A note that starts after a rest or a pitch change must be marked as an onset.
        previous = np.concatenate([np.full((4, 1), REST, np.int16), pitches[:, :-1]], axis=1)
        if np.any((pitches != REST) & (pitches != previous) & ~onsets):
            raise ValueError(f"{self.id}: a pitch change without an onset")
        for name, value in (("pitches", pitches), ("onsets", onsets), ("fermatas", fermatas)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    @property
    def num_steps(self) -> int:
        return self.pitches.shape[1]

    @property
    def bar_steps(self) -> int:
        numerator, denominator = self.meter
        return numerator * STEPS_PER_QUARTER * 4 // denominator

    @property
    def key_name(self) -> str:
        return f"{PITCH_CLASS_NAMES[self.key_tonic]} {self.key_mode}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Chorale):
            return NotImplemented
        return (
            self.id == other.id
            and self.meter == other.meter
            and self.key_tonic == other.key_tonic
            and self.key_mode == other.key_mode
            and self.pickup == other.pickup
            and np.array_equal(self.pitches, other.pitches)
            and np.array_equal(self.onsets, other.onsets)
            and np.array_equal(self.fermatas, other.fermatas)
        )

    __hash__ = None  # mutable-looking arrays inside: equality by value, no hashing

    def notes(self) -> Iterator[Note]:
        """Every note of every voice, in voice then time order."""
        for voice in range(len(VOICES)):
            starts = np.flatnonzero(self.onsets[voice])
            for start in starts:
                pitch = self.pitches[voice, start]
                end = start + 1
                while (
                    end < self.num_steps and not self.onsets[voice, end] and self.pitches[voice, end] == pitch
                ):
                    end += 1
                yield Note(voice, int(start), int(end), int(pitch))

    def transpose(self, semitones: int) -> Chorale:
        pitches = np.where(self.pitches == REST, REST, self.pitches + semitones)
        return replace(self, pitches=pitches, key_tonic=(self.key_tonic + semitones) % 12)

    def crop(self, start: int, length: int) -> Chorale:
        """Steps [start, start + length): a note cut at the left edge starts anew; past the end, rests."""
        stop = min(start + length, self.num_steps)
        pitches = np.full((4, length), REST, np.int16)
        onsets = np.zeros((4, length), bool)
        fermatas = np.zeros(length, bool)
        pitches[:, : stop - start] = self.pitches[:, start:stop]
        onsets[:, : stop - start] = self.onsets[:, start:stop]
        fermatas[: stop - start] = self.fermatas[start:stop]
        onsets[:, 0] = pitches[:, 0] != REST
        pickup = (self.pickup - start) % self.bar_steps
        return replace(self, pitches=pitches, onsets=onsets, fermatas=fermatas, pickup=pickup)

    def voice_ranges(self) -> list[tuple[int, int] | None]:
        """(lowest, highest) pitch per voice, None for a voice that only rests."""
        ranges: list[tuple[int, int] | None] = []
        for voice in self.pitches:
            sounding = voice[voice != REST]
            ranges.append((int(sounding.min()), int(sounding.max())) if sounding.size else None)
        return ranges


def chorale_from_pitches(id: str, pitches: np.ndarray, **metadata) -> Chorale:
    """A Chorale from pitches alone: a note starts wherever a voice's pitch changes.

    For sources that do not tell held from repeated notes (the JSB data, model outputs).
    """
    pitches = np.asarray(pitches, dtype=np.int16)
    previous = np.concatenate([np.full((4, 1), REST, np.int16), pitches[:, :-1]], axis=1)
    onsets = (pitches != REST) & (pitches != previous)
    return Chorale(id, pitches, onsets, np.zeros(pitches.shape[1], bool), **metadata)


def chorale_from_notes(
    id: str,
    notes: list[Note],
    num_steps: int | None = None,
    fermata_steps: np.ndarray | None = None,
    **metadata,
) -> Chorale:
    """Build a Chorale from notes; within a voice a later note overrides the tail of an earlier one."""
    length = num_steps if num_steps is not None else max((n.end for n in notes), default=0)
    pitches = np.full((4, length), REST, np.int16)
    onsets = np.zeros((4, length), bool)
    for note in sorted(notes, key=lambda n: (n.voice, n.start)):
        if note.end <= note.start or note.start >= length:
            continue
        pitches[note.voice, note.start : note.end] = note.pitch
        onsets[note.voice, note.start] = True
        onsets[note.voice, note.start + 1 : note.end] = False
    fermatas = np.zeros(length, bool) if fermata_steps is None else np.asarray(fermata_steps, bool)[:length]
    return Chorale(id=id, pitches=pitches, onsets=onsets, fermatas=fermatas, **metadata)
