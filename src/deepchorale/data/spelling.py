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
notes of a chord agree (G Bb D, not G A# D).
"""

from __future__ import annotations

from deepchorale.data.chorale import Chorale, Note

LETTERS_BY_FIFTHS = "FCGDAEB"  # positions -1 (F) to 5 (B) are the naturals
CENTRE_ABOVE_SIGNATURE = {"major": 2.5, "minor": 3.5}  # leaning to the raised notes of secondary dominants
KEY_WEIGHT = 48.0  # how many note-steps of the last bar weigh as much as the key
RECENT_STEPS = 16  # a bar of 4/4: the notes whose spellings pull the centre
ODD_INTERVAL_COST = 3.0  # in line-of-fifths positions, per augmented or diminished interval
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
    neighbours = {(n.voice, n.start): neighbouring(n, notes) for n in notes}
    earlier = {(n.voice, n.start): recent(n, notes) for n in notes}
    for _ in range(SWEEPS):
        for note in notes:
            here = (note.voice, note.start)
            weights = [weight for _, weight in earlier[here]]
            pulled = sum(positions[(m.voice, m.start)] * weight for m, weight in earlier[here])
            centre = (KEY_WEIGHT * home + pulled) / (KEY_WEIGHT + sum(weights))
            candidates = [nearest_spelling(note.pitch % 12, centre) + shift for shift in (-12, 0, 12)]
            positions[here] = min(
                candidates,
                key=lambda q: (
                    abs(q - centre)
                    + ODD_INTERVAL_COST
                    * sum(is_odd_interval(q, positions[(m.voice, m.start)]) for m in neighbours[here])
                ),
            )
    return positions


def neighbouring(note: Note, notes: list[Note]) -> list[Note]:
    """The notes sounding with `note` in other voices, and the notes just before and after it in
    its own voice."""
    same_voice = [m for m in notes if m.voice == note.voice and m is not note]
    before = [m for m in same_voice if 0 <= note.start - m.end <= NEIGHBOUR_GAP]
    after = [m for m in same_voice if 0 <= m.start - note.end <= NEIGHBOUR_GAP]
    sounding = [m for m in notes if m.voice != note.voice and m.start < note.end and note.start < m.end]
    return [*before[-1:], *after[:1], *sounding]


def recent(note: Note, notes: list[Note]) -> list[tuple[Note, float]]:
    """The notes heard in the bar before `note` starts, each with its steps inside that bar."""
    window_start = note.start - RECENT_STEPS
    return [
        (m, float(min(m.end, note.start) - max(m.start, window_start)))
        for m in notes
        if m.start < note.start and m.end > window_start
    ]
