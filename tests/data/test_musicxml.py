"""The fast reader against music21, the reference, on a varied slice of the real corpus."""

from fractions import Fraction

import pytest
from music21 import chord, converter, expressions

from deepchorale.data.chorale import VOICES
from deepchorale.data.convert import from_midi, to_midi
from deepchorale.data.corpus import chorale_from_score, corpus_dir
from deepchorale.data.musicxml import MusicXMLError, read_musicxml
from deepchorale.data.scores import satb_parts

# Pickups, ties, fermatas, 3/4, grace notes (bwv299), off-grid notes (bwv248.64-s, bwv36.4-2),
# instrumental parts (bwv1.6), an uncompressed .xml (bwv69.6) and a .musicxml inside the .mxl (bwv113.8).
SLICE = [
    "bwv269.mxl",
    "bwv347.mxl",
    "bwv86.6.mxl",
    "bwv153.1.mxl",
    "bwv299.mxl",
    "bwv248.64-s.mxl",
    "bwv36.4-2.mxl",
    "bwv1.6.mxl",
    "bwv69.6.xml",
    "bwv113.8.mxl",
    "bwv18.5-lz.mxl",
]


def music21_notes(part):
    """(onset, duration, pitch, tied from previous, fermata) for each note, as music21 reads them."""
    notes = []
    for note in part.flatten().notes:
        if note.duration.isGrace:
            continue
        assert not isinstance(note, chord.Chord), "vocal parts are monophonic"
        notes.append(
            (
                Fraction(note.offset).limit_denominator(96),
                Fraction(note.quarterLength).limit_denominator(96),
                note.pitch.midi,
                note.tie is not None and note.tie.type in ("stop", "continue"),
                any(isinstance(e, expressions.Fermata) for e in note.expressions),
            )
        )
    return notes


@pytest.fixture(scope="module", params=SLICE)
def pair(request):
    path = corpus_dir("bach") / request.param
    return read_musicxml(path), converter.parse(path, forceSource=True), request.param


def test_reader_matches_music21_note_for_note(pair):
    ours, reference, _ = pair
    by_name = {p.partName: p for p in reference.parts}
    for part in satb_parts(ours, keep_instrumental=True):
        expected = music21_notes(by_name[part.name])
        got = [(n.onset, n.duration, n.pitch, n.tie_continues, n.fermata) for n in part.notes]
        assert got == expected, part.name


def test_reader_matches_music21_meter_and_pickup(pair):
    ours, reference, _ = pair
    signature = reference.parts[0].recurse().getElementsByClass("TimeSignature").first()
    assert ours.meter == (signature.numerator, signature.denominator)
    first = reference.parts[0].getElementsByClass("Measure").first()
    expected = Fraction(first.barDuration.quarterLength - first.paddingLeft) if first.paddingLeft else 0
    assert ours.pickup == expected


def test_round_trip_music21_chorale_midi_chorale_keeps_every_note(pair):
    ours, reference, name = pair
    chorale, _, _ = chorale_from_score(ours, name)
    by_name = {p.partName: p for p in reference.parts}
    for voice, part in enumerate(satb_parts(ours, keep_instrumental=True)):
        expected, open_note = [], None
        for onset, duration, pitch, tied, _ in music21_notes(by_name[part.name]):
            start, end = round(onset * 4), round((onset + duration) * 4)
            if end <= start:
                continue  # shorter than a 16th: no room on the grid
            if tied and open_note and open_note[1] == start:
                open_note = (open_note[0], end, pitch)
                expected[-1] = open_note
            else:
                open_note = (start, end, pitch)
                expected.append(open_note)
        got = [(n.start, n.end, n.pitch) for n in chorale.notes() if n.voice == voice]
        assert got == expected, VOICES[voice]
    assert from_midi(to_midi(chorale), id=chorale.id) == chorale


def test_unreadable_files_raise_a_clear_error(tmp_path):
    broken = tmp_path / "broken.mxl"
    broken.write_bytes(b"not a zip archive")
    with pytest.raises(MusicXMLError, match="unreadable MusicXML"):
        read_musicxml(broken)
    timewise = tmp_path / "timewise.xml"
    timewise.write_text("<score-timewise/>")
    with pytest.raises(MusicXMLError, match="not a partwise"):
        read_musicxml(timewise)
