"""Pitch spelling: the letter and accidental each note is written with, from the key and the harmony.

A MIDI number names a key of the keyboard, not whether it is A# or Bb; a score has to choose.
Spellings lie on the line of fifths (... Eb Bb F C G D A E B F# C# G# ...): position q spells pitch
class 7q mod 12, so the spellings of one pitch class are 12 positions apart, and an interval is
diatonic (a third, a semitone E-F) when its notes are at most 6 positions apart, augmented or
diminished (the chromatic semitone Bb-B, the diminished fourth A#-D) when further.

After Temperley (The Cognition of Basic Musical Structures, 2001, ch. 5): each note takes the
spelling nearest a centre of gravity, the key's centre pulled towards the notes of the bar just
heard, so a passage in another key drags the centre with it; and spellings that make augmented or
diminished intervals with the notes sounding with it, or with its neighbours in its voice, cost
extra, so a raised note rises (A#-B over F# A#, not Bb-B), a lowered one falls (Bb-A), and the
notes of a chord agree (G Bb D, not G A# D). A spelling far from the centre (E# in A minor) costs
extra too, so a clash in a generated voice (F in the alto under F# in the soprano) is written F-E-F,
not E#-E-F. Over music21's 368 four-part Bach chorales this keeps Bach's own spelling of all but
36 of 83,209 notes (tests/data/test_spelling.py).
"""

from __future__ import annotations

import bisect
import itertools

from deepchorale.data.chorale import Chorale, Note

LETTERS_BY_FIFTHS = "FCGDAEB"  # positions -1 (F) to 5 (B) are the naturals
CENTRE_ABOVE_SIGNATURE = {"major": 2.5, "minor": 3.5}  # leaning to the raised notes of secondary dominants
KEY_WEIGHT = 48.0  # how many note-steps of the last bar weigh as much as the key
RECENT_STEPS = 16  # a bar of 4/4: the notes whose spellings pull the centre
MELODIC_COST = 3.0  # in line-of-fifths positions, per augmented or diminished step in a voice
HARMONIC_COST = 3.0  # and per such interval with a note sounding at the same time
REMOTE_COST = 2.0  # for a spelling over 6 positions from the centre (E# or Fb in C major)
NEIGHBOUR_GAP = 4  # a voice's notes further apart than this (a rest between) are not neighbours
SWEEPS = 3


def key_signature(tonic: int, mode: str) -> int:
    """Sharps (> 0) or flats (< 0) of the key: of the tonic's spellings the one with fewer
    accidentals (Db major, not C# major; G# minor, not Ab minor); six either way goes to the flats."""
    relative_major = (tonic + (3 if mode == "minor" else 0)) % 12
    sharps = relative_major * 7 % 12  # C major 0, G 1, ... F 11
    return sharps - 12 if sharps >= 6 else sharps


def key_centre(tonic: int, mode: str) -> float:
    return key_signature(tonic, mode) + CENTRE_ABOVE_SIGNATURE[mode]


def nearest_spelling(pitch_class: int, centre: float) -> int:
    """The position of `pitch_class` on the line of fifths nearest `centre`."""
    position = pitch_class * 7 % 12
    return position + 12 * round((centre - position) / 12)


def written_pitch(midi: int, position: int) -> tuple[str, int, int]:
    """(letter, alteration in semitones, octave) of MIDI pitch `midi` spelled at `position`:
    60 at 0 is ("C", 0, 4); at 12, ("B", 1, 3)."""
    alteration = (position + 1) // 7
    letter = LETTERS_BY_FIFTHS[(position + 1) % 7]
    return letter, alteration, (midi - alteration) // 12 - 1


def is_odd_interval(position: int, other: int) -> bool:
    """Augmented or diminished (unisons and octaves included: C against B# or Dbb)."""
    return abs(position - other) > 6


def spell(chorale: Chorale) -> dict[tuple[int, int], int]:
    """Line-of-fifths position of every note, keyed by (voice, onset step)."""
    notes = sorted(chorale.notes(), key=lambda n: (n.start, n.voice))
    home = key_centre(chorale.key_tonic, chorale.key_mode)
    positions = {(n.voice, n.start): nearest_spelling(n.pitch % 12, home) for n in notes}
    context = Context(notes)

    def cost(position: int, centre: float, note: Note) -> float:
        odd = sum(
            weight * is_odd_interval(position, positions[(m.voice, m.start)])
            for m, weight in context.around(note)
        )
        distance = abs(position - centre)
        return distance + REMOTE_COST * (distance > 6) + odd

    for _ in range(SWEEPS):
        for note in notes:
            heard = context.heard_before(note)
            pulled = sum(positions[(m.voice, m.start)] * steps for m, steps in heard)
            centre = (KEY_WEIGHT * home + pulled) / (KEY_WEIGHT + sum(steps for _, steps in heard))
            candidates = [nearest_spelling(note.pitch % 12, centre) + shift for shift in (-12, 0, 12)]
            positions[(note.voice, note.start)] = min(candidates, key=lambda q: cost(q, centre, note))
    return positions


class Context:
    """Which notes bear on a note's spelling, found by bisection in onset order (a long piece has
    thousands of notes)."""

    def __init__(self, notes: list[Note]) -> None:
        self.notes = notes  # in onset order
        self.starts = [n.start for n in notes]
        self.longest = max((n.end - n.start for n in notes), default=0)
        self.melodic: dict[Note, list[Note]] = {n: [] for n in notes}
        for voice in {n.voice for n in notes}:
            line = [n for n in notes if n.voice == voice]
            for before, after in itertools.pairwise(line):
                if after.start - before.end <= NEIGHBOUR_GAP:
                    self.melodic[before].append(after)
                    self.melodic[after].append(before)

    def overlapping(self, start: int, end: int) -> list[Note]:
        """The notes sounding at some step of [start, end)."""
        first = bisect.bisect_left(self.starts, start - self.longest + 1)
        return [m for m in self.notes[first : bisect.bisect_left(self.starts, end)] if m.end > start]

    def around(self, note: Note) -> list[tuple[Note, float]]:
        """The notes just before and after `note` in its voice, and the notes sounding with it in
        the other voices, each with the cost of an augmented or diminished interval to it."""
        sounding = [m for m in self.overlapping(note.start, note.end) if m.voice != note.voice]
        return [(m, MELODIC_COST) for m in self.melodic[note]] + [(m, HARMONIC_COST) for m in sounding]

    def heard_before(self, note: Note) -> list[tuple[Note, float]]:
        """The notes heard in the bar before `note` starts, each with its steps inside that bar."""
        window_start = note.start - RECENT_STEPS
        return [
            (m, float(min(m.end, note.start) - max(m.start, window_start)))
            for m in self.overlapping(window_start, note.start)
        ]
