"""The one score reader: MIDI, MusicXML, Humdrum and ABC files onto the 16th-note grid.

Melodies to harmonise, pieces to evaluate, the Bach corpus and the other composers all read files
here, so that they agree on what a file says:
1. `read_score`: a file -> `Score` (parts of notes in quarter notes, meter, pickup; from MIDI also
   key signature, tempo and fermata marks). Every way a file can fail, from a wrong suffix to bytes
   no parser takes, ends in one `ScoreError` whose message is the reason in a few words (without
   the file's name, which each caller adds as its messages need).
2. Which part is which voice: `satb_parts` by name, `four_voices` by pitch, `voices_of` the rule
   for a file of unknown layout.
3. `on_grid` and `chorale_on_grid`: times round to the nearest 16th (`to_step`, the one rounding
   rule), tied notes merge, and the meter, pickup and key come along.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pretty_midi

from deepchorale.data.chorale import STEPS_PER_QUARTER, VOICES, Chorale, Note, chorale_from_notes
from deepchorale.data.key import estimate_key, final_bass
from deepchorale.data.musicxml import MusicXMLError, Part, PartNote, Score, read_musicxml

MIDI_SUFFIXES = (".mid", ".midi")
MUSICXML_SUFFIXES = (".xml", ".musicxml", ".mxl")
MUSIC21_SUFFIXES = (".krn", ".abc")  # Humdrum and ABC: music21 is slow, but the only reader
SCORE_SUFFIXES = MIDI_SUFFIXES + MUSICXML_SUFFIXES + MUSIC21_SUFFIXES
FERMATA_TEXT = "fermata"  # a MIDI text event "fermata <steps>" marks a held chord (`convert.to_midi`)


class ScoreError(ValueError):
    """The file cannot be read as a score; the message is the reason, in a few words."""


# --- files -> Score --------------------------------------------------------------------------------


def check_file(path: Path) -> None:
    """Refuse what is no score file before a parser sees it: another type, missing, empty."""
    if path.suffix.lower() not in SCORE_SUFFIXES:
        raise ScoreError(f"unsupported format (use {', '.join(SCORE_SUFFIXES)})")
    if not path.is_file():
        raise ScoreError("not found")
    if path.stat().st_size == 0:
        raise ScoreError("empty file")


def read_score(path: str | Path) -> Score:
    """Any score file, by its suffix; a score without a single pitched note is refused too."""
    path = Path(path)
    check_file(path)
    suffix = path.suffix.lower()
    if suffix in MIDI_SUFFIXES:
        score = midi_score(open_midi(path))
    elif suffix in MUSICXML_SUFFIXES:
        score = musicxml_score(path)
    else:
        score = music21_score(path)
    if not any(part.notes for part in score.parts):
        raise ScoreError("no notes")
    return score


def open_midi(path: Path) -> pretty_midi.PrettyMIDI:
    try:
        return pretty_midi.PrettyMIDI(str(path))
    except Exception as error:  # pretty_midi/mido raise many unrelated types on bad bytes
        raise ScoreError(f"not a readable MIDI file ({type(error).__name__})") from error


def midi_score(midi: pretty_midi.PrettyMIDI) -> Score:
    """Every track as a part, in file order so that track numbers stay the file's (a drum track's
    part is empty: its notes are sounds, not pitches), timed in quarters by the file's own ticks."""

    def quarters(seconds: float) -> Fraction:
        return Fraction(midi.time_to_tick(seconds), midi.resolution)

    def part_note(note: pretty_midi.Note) -> PartNote:
        onset = quarters(note.start)
        return PartNote(onset, quarters(note.end) - onset, note.pitch, tie_continues=False, fermata=False)

    parts = [
        Part(track.name or "", [] if track.is_drum else [part_note(n) for n in track.notes])
        for track in midi.instruments
    ]
    if not any(part.notes for part in parts) and any(track.notes for track in midi.instruments):
        raise ScoreError("only drums, no pitched notes")
    signatures = [(s.numerator, s.denominator, quarters(s.time)) for s in midi.time_signature_changes]
    meter, pickup = midi_meter(signatures)
    keys = midi.key_signature_changes
    key = (keys[0].key_number % 12, "minor" if keys[0].key_number >= 12 else "major") if keys else None
    _, tempi = midi.get_tempo_changes()
    fermatas = []
    for event in midi.text_events:
        if marked := re.fullmatch(rf"{FERMATA_TEXT} (\d+)", event.text.strip()):
            onset = quarters(event.time)
            fermatas.append((onset, onset + Fraction(int(marked[1]), STEPS_PER_QUARTER)))
    qpm = round(float(tempi[0]), 2) if len(tempi) else 120.0
    return Score(parts, meter, pickup, key=key, qpm=qpm, fermatas=fermatas, performed=True)


def midi_meter(signatures: list[tuple[int, int, Fraction]]) -> tuple[tuple[int, int] | None, Fraction]:
    """(meter, pickup in quarters) from (numerator, denominator, time) signatures. The first meter,
    unless its bar is shorter than the next one and lasts exactly until it: an anacrusis, written as
    a short first bar as notation programs (and `convert.to_midi`) export one. A `Chorale` has one
    meter, so later changes are not kept."""
    if not signatures:
        return None, Fraction(0)
    (numerator, denominator, start), *later = signatures
    bar = Fraction(4 * numerator, denominator)
    if later:
        next_numerator, next_denominator, next_start = later[0]
        next_bar = Fraction(4 * next_numerator, next_denominator)
        if next_start - start == bar and bar < next_bar:
            return (next_numerator, next_denominator), bar
    return (numerator, denominator), Fraction(0)


def musicxml_score(path: Path) -> Score:
    try:
        return read_musicxml(path)
    except MusicXMLError as error:
        raise ScoreError(str(error)) from error
    except (KeyError, ValueError, AttributeError, TypeError, ZeroDivisionError) as error:
        # well-formed XML whose elements do not hold what MusicXML puts there
        raise ScoreError(f"unreadable MusicXML ({type(error).__name__})") from error


def music21_score(path: Path) -> Score:
    """Humdrum and ABC through music21; a chord's top note stands in for it."""
    import music21  # a second or two to import, and only these formats need it

    try:
        parsed = music21.converter.parse(path)
        # music21 reads a multi-voice ABC file as an Opus of one-part scores, one per voice.
        scores = parsed.scores if isinstance(parsed, music21.stream.Opus) else [parsed]
        parts = []
        for part in (part for score in scores for part in score.parts):
            notes = []
            for element in part.flatten().notes:
                tie = element.tie.type if element.tie is not None else None
                onset, duration = Fraction(element.offset), Fraction(element.quarterLength)
                pitch = max(p.midi for p in element.pitches)
                notes.append(PartNote(onset, duration, pitch, tie in ("stop", "continue"), False))
            parts.append(Part(part.partName or "", notes))
        signatures = list(parsed.recurse().getElementsByClass("TimeSignature"))
    except Exception as error:  # music21 raises many kinds of error on a bad file
        raise ScoreError(f"unreadable ({type(error).__name__})") from error
    meter = (signatures[0].numerator, signatures[0].denominator) if signatures else None
    return Score(parts, meter, Fraction(0))


# --- which part is which voice --------------------------------------------------------------------


def satb_parts(score: Score, keep_instrumental: bool) -> list[Part]:
    """The Soprano, Alto, Tenor and Bass parts in that order, or a ScoreError with the reason."""
    if len(score.parts) == 4 and not any(p.name for p in score.parts):
        chosen = score.parts  # unnamed four-part scores are written S, A, T, B
    else:
        found = {voice: [p for p in score.parts if p.name.lower().startswith(voice)] for voice in VOICES}
        doubled = [voice for voice, parts in found.items() if len(parts) > 1]
        missing = [voice for voice, parts in found.items() if not parts]
        if doubled:
            raise ScoreError(f"more than four voices (two {doubled[0]} parts)")
        if missing:
            names = ", ".join(p.name or "?" for p in score.parts)
            raise ScoreError(f"not an S/A/T/B score ({len(score.parts)} parts: {names})")
        if len(score.parts) > 4 and not keep_instrumental:
            raise ScoreError("instrumental parts besides the four voices")
        chosen = [found[voice][0] for voice in VOICES]
    for voice, part in zip(VOICES, chosen):
        if not part.notes:
            raise ScoreError(f"the {voice} has no notes")
    return chosen


def mean_pitch(part: Part) -> float:
    return float(np.mean([n.pitch for n in part.notes]))


def high_to_low(parts: list[Part]) -> list[Part]:
    """The parts with notes, highest mean pitch first."""
    return sorted((p for p in parts if p.notes), key=lambda p: -mean_pitch(p))


def four_voices(parts: list[Part], lowest_is_bass: bool = True) -> list[tuple[int, Part]]:
    """(voice, part) for at most four parts, high to low by mean pitch: of more, the highest, the
    lowest and the two busiest (most sounding time) of the others. Fewer take the voices from the
    soprano down, the lowest one the bass when `lowest_is_bass` (a duet is soprano and bass)."""
    ordered = high_to_low(parts)
    if len(ordered) > len(VOICES):
        middle = sorted(ordered[1:-1], key=lambda p: -sum(n.duration for n in p.notes))[:2]
        ordered = [ordered[0], *high_to_low(middle), ordered[-1]]
    slots = list(range(len(ordered)))
    if lowest_is_bass and len(ordered) > 1:
        slots[-1] = len(VOICES) - 1
    return list(zip(slots, ordered))


def voices_of(score: Score) -> list[tuple[int, Part]]:
    """Which part sings which voice in a file of unknown layout: a notated score's Soprano, Alto,
    Tenor and Bass parts by name; otherwise (and always for MIDI, whose track names are free text)
    `four_voices` by pitch."""
    if not score.performed:
        try:
            return list(enumerate(satb_parts(score, keep_instrumental=True)))
        except ScoreError:
            pass  # not named S/A/T/B: by pitch, below
    return four_voices(score.parts)


# --- onto the 16th grid ---------------------------------------------------------------------------


@dataclass
class Grid:
    """Notes on the 16th grid, the spans marked with a fermata, and what the rounding did."""

    notes: list[Note] = field(default_factory=list)
    fermatas: list[tuple[int, int]] = field(default_factory=list)
    quantized: int = 0  # notes moved onto the grid (triplets, swing, 32nds)
    dropped: int = 0  # written notes shorter than the grid that vanished on it


def to_step(quarters: Fraction) -> int:
    """The one rounding rule: to the nearest 16th (a tie to the even step, as Python rounds)."""
    return round(quarters * STEPS_PER_QUARTER)


def on_grid(voices: list[tuple[int, Part]], performed: bool, scale: Fraction = Fraction(1)) -> Grid:
    """The notes of (voice, part) pairs on the grid, their times first multiplied by `scale`. A note
    that rounds to no length is dropped from written music (an ornament finer than the grid) but
    kept one step long from a performance (a staccato note is played short, not meant short). A
    tied continuation lengthens the note it continues."""
    grid = Grid()
    for voice, part in voices:
        for note in part.notes:
            onset, end = note.onset * scale, (note.onset + note.duration) * scale
            start, stop = to_step(onset), to_step(end)
            grid.quantized += start != onset * STEPS_PER_QUARTER or stop != end * STEPS_PER_QUARTER
            if stop <= start and not performed:
                grid.dropped += 1
                continue
            stop = max(stop, start + 1)
            previous = grid.notes[-1] if grid.notes else None
            if note.tie_continues and previous and previous.voice == voice and previous.end == start:
                grid.notes[-1] = Note(voice, previous.start, stop, previous.pitch)
            else:
                grid.notes.append(Note(voice, start, stop, note.pitch))
            if note.fermata:
                grid.fermatas.append((start, stop))
    return grid


def grid_meter(meter: tuple[int, int] | None, scale: Fraction = Fraction(1)) -> tuple[int, int]:
    """The meter on the grid, its note value following `scale`; 4/4 where the file names none, or
    one whose bar would be shorter than a step."""
    numerator, denominator = meter or (4, 4)
    denominator = int(denominator / scale) if denominator / scale >= 1 else denominator
    if numerator * STEPS_PER_QUARTER * 4 // denominator < 1:
        return 4, 4
    return numerator, denominator


def chorale_on_grid(
    score: Score, voices: list[tuple[int, Part]], id: str, source: str = "", scale: Fraction = Fraction(1)
) -> tuple[Chorale, Grid]:
    """(voice, part) pairs of a score as a `Chorale` with the score's meter, pickup, fermatas and key
    (a MIDI key signature, else estimated from the notes, the final bass breaking near ties)."""
    grid = on_grid(voices, score.performed, scale)
    if not grid.notes:
        raise ScoreError("no notes on the 16th grid")
    num_steps = max(n.end for n in grid.notes)
    fermatas = np.zeros(num_steps, bool)
    marks = [(to_step(onset * scale), to_step(end * scale)) for onset, end in score.fermatas]
    for start, end in grid.fermatas + marks:
        fermatas[start:end] = True
    meter, pickup = grid_meter(score.meter, scale), to_step(score.pickup * scale)
    chorale = chorale_from_notes(
        id, grid.notes, num_steps, fermatas, meter=meter, pickup=pickup, source=source
    )
    tonic, mode = score.key or estimate_key(chorale.pitches, final_bass=final_bass(chorale.pitches))
    return replace(chorale, key_tonic=tonic, key_mode=mode), grid


def read_chorale(path: str | Path) -> Chorale:
    """Any score file as a four-voice `Chorale`, its voices chosen by `voices_of`."""
    path = Path(path)
    score = read_score(path)
    chorale, _ = chorale_on_grid(score, voices_of(score), path.stem, str(path))
    return chorale
