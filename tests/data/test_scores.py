"""The one score reader, on the odd files users and corpora hand it: every one a real file written
by pretty_midi or music21 into tmp_path."""

from fractions import Fraction

import numpy as np
import pretty_midi
import pytest
from music21 import meter, note, stream, tie

from deepchorale.data.chorale import REST
from deepchorale.data.scores import (
    ScoreError,
    chorale_on_grid,
    four_voices,
    on_grid,
    read_chorale,
    read_score,
    voices_of,
)


def write_midi(path, tracks, qpm=120.0, signatures=((4, 4, 0.0),)):
    """tracks: (name, is_drum, [(pitch, start beat, end beat)]) -> a MIDI file at `path`."""
    midi = pretty_midi.PrettyMIDI(initial_tempo=qpm)
    beat = 60.0 / qpm
    midi.time_signature_changes = [pretty_midi.TimeSignature(n, d, t * beat) for n, d, t in signatures]
    for name, is_drum, notes in tracks:
        track = pretty_midi.Instrument(0, is_drum=is_drum, name=name)
        track.notes = [pretty_midi.Note(80, p, s * beat, e * beat) for p, s, e in notes]
        midi.instruments.append(track)
    midi.write(str(path))
    return path


def scale_run(low: int, count: int = 8) -> list[tuple[int, float, float]]:
    return [(low + step, i, i + 1) for i, step in enumerate([0, 2, 4, 5, 7, 9, 11, 12][:count])]


def write_musicxml(path, parts, time_signature="4/4"):
    """parts: (name, [(pitch name, quarters)]) -> a MusicXML file at `path`."""
    score = stream.Score()
    for name, notes in parts:
        part = stream.Part()
        part.partName = name
        part.append(meter.TimeSignature(time_signature))
        for pitch, quarters in notes:
            part.append(note.Note(pitch, quarterLength=quarters))
        score.insert(0, part)
    score.write("musicxml", fp=path)
    return path


# --- what cannot be read: one ScoreError, its reason in a few words --------------------------------


def truncated_midi(path):
    whole = write_midi(path.with_name("whole.mid"), [("", False, scale_run(60))]).read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    return path


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("empty.mid", lambda p: p.write_bytes(b""), "empty file"),
        ("empty.musicxml", lambda p: p.write_bytes(b""), "empty file"),
        ("random.mid", lambda p: p.write_bytes(np.random.default_rng(0).bytes(256)), "not a readable MIDI"),
        ("header only.mid", lambda p: p.write_bytes(b"MThd\x00\x00\x00\x06 not MIDI"), "not a readable MIDI"),
        ("truncated.mid", truncated_midi, "not a readable MIDI"),
        ("random.mxl", lambda p: p.write_bytes(b"not a zip archive"), "unreadable MusicXML"),
        ("broken.xml", lambda p: p.write_text("<score-partwise><part"), "unreadable MusicXML"),
        ("timewise.xml", lambda p: p.write_text("<score-timewise/>"), "not a partwise MusicXML score"),
        ("no pitch.xml", lambda p: p.write_text(
            "<score-partwise><part id='P1'><measure><note><pitch/><duration>1</duration></note>"
            "</measure></part></score-partwise>"), r"unreadable MusicXML \(AttributeError\)"),
        ("tune.txt", lambda p: p.write_text("C D E"), r"unsupported format \(use .mid"),
        ("absent.mid", lambda p: None, "not found"),
        ("drums.mid", lambda p: write_midi(p, [("", True, [(36, 0, 1)])]), "only drums"),
        ("silent.mid", lambda p: write_midi(p, [("Piano", False, [])]), "no notes"),
        ("rests.musicxml", lambda p: write_musicxml(p, [("Flute", [])]), "no notes"),
    ],
)  # fmt: skip
def test_an_unreadable_file_is_one_score_error_with_its_reason(tmp_path, name, make, reason):
    path = tmp_path / name
    make(path)
    with pytest.raises(ScoreError, match=reason) as raised:
        read_score(path)
    assert "\n" not in str(raised.value) and name not in str(raised.value)


# --- what is read --------------------------------------------------------------------------------


def test_a_path_with_spaces_and_accents_reads_in_both_formats(tmp_path):
    folder = tmp_path / "Mes chansons – été"
    folder.mkdir()
    midi = write_midi(folder / "Größe Fuge Nº 1.mid", [("", False, scale_run(60))])
    xml = write_musicxml(folder / "Chanson d'été.musicxml", [("", [("C4", 1), ("E4", 1), ("G4", 2)])])
    assert [n.pitch for n in read_score(midi).parts[0].notes] == [60, 62, 64, 65, 67, 69, 71, 72]
    assert [n.pitch for n in read_score(xml).parts[0].notes] == [60, 64, 67]
    assert read_chorale(midi).id == "Größe Fuge Nº 1"


def test_a_musicxml_pickup_is_its_short_first_bar(tmp_path):
    bars = [[("G4", 1)], [("C5", 1), ("B4", 1), ("A4", 1)], [("G4", 3)]]  # a one-beat upbeat in 3/4
    part = stream.Part()
    for number, notes in enumerate(bars):
        measure = stream.Measure(number=number)
        if number == 0:
            measure.append(meter.TimeSignature("3/4"))
            measure.paddingLeft = 2
        measure.append([note.Note(pitch, quarterLength=quarters) for pitch, quarters in notes])
        part.append(measure)
    path = tmp_path / "pickup.musicxml"
    stream.Score([part]).write("musicxml", fp=path)
    score = read_score(path)
    assert score.meter == (3, 4) and score.pickup == 1
    chorale, _ = chorale_on_grid(score, four_voices(score.parts), "pickup")
    assert chorale.pickup == 4 and chorale.meter == (3, 4)
    assert chorale.pitches[0, ::4].tolist() == [67, 72, 71, 69, 67, 67, 67]


def test_a_midi_pickup_is_a_short_first_signature_and_later_meter_changes_are_dropped(tmp_path):
    """A short first bar (one bar of a meter, then a longer one) is an upbeat; a longer first bar,
    or one that lasts two bars, is the meter."""
    tune = [("", False, scale_run(60))]
    pickup = write_midi(tmp_path / "pickup.mid", tune, signatures=((1, 4, 0), (3, 4, 1)))
    changing = write_midi(tmp_path / "change.mid", tune, signatures=((3, 4, 0), (4, 4, 6)))
    shorter_later = write_midi(tmp_path / "short.mid", tune, signatures=((4, 4, 0), (3, 4, 4)))
    assert (read_score(pickup).meter, read_score(pickup).pickup) == ((3, 4), 1)
    assert (read_score(changing).meter, read_score(changing).pickup) == ((3, 4), 0)
    assert (read_score(shorter_later).meter, read_score(shorter_later).pickup) == ((4, 4), 0)
    grid = on_grid([(0, read_score(changing).parts[0])], performed=True)
    assert [(n.start, n.end) for n in grid.notes] == [(4 * i, 4 * i + 4) for i in range(8)]  # steps unmoved


def test_notes_off_the_grid_round_to_the_nearest_16th(tmp_path):
    triplets = [(60 + i, i / 3, (i + 1) / 3) for i in range(3)] + [(72, 1, 2)]  # eighth triplets
    swing = [(60, 0, 2 / 3), (62, 2 / 3, 1), (64, 1, 5 / 3), (65, 5 / 3, 2)]  # long-short eighths
    staccato = [(60, 0, 0.1), (62, 1, 1.1)]  # played shorter than a 16th
    score = read_score(
        write_midi(tmp_path / "off.mid", [("", False, n) for n in (triplets, swing, staccato)])
    )
    steps = [[(n.start, n.end) for n in on_grid([(0, p)], score.performed).notes] for p in score.parts]
    assert steps[0] == [(0, 1), (1, 3), (3, 4), (4, 8)]  # 4/3 steps each: 0, 1.33, 2.67 -> 0, 1, 3
    assert steps[1] == [(0, 3), (3, 4), (4, 7), (7, 8)]  # swing 2:1 -> dotted eighth and 16th
    assert steps[2] == [(0, 1), (4, 5)]  # a performed note keeps one step
    assert on_grid([(0, score.parts[0])], score.performed).quantized == 3
    written = read_score(
        write_musicxml(tmp_path / "written.musicxml", [("", [("C4", 0.125), ("D4", 3.875)])])
    )
    grid = on_grid([(0, written.parts[0])], written.performed)
    assert [(n.start, n.end, n.pitch) for n in grid.notes] == [(0, 16, 62)] and grid.dropped == 1
    assert written.parts[0].notes[1].onset == Fraction(1, 8)  # a 32nd: dropped, the next note rounded


def test_ties_merge_into_one_note(tmp_path):
    part = stream.Part()
    first, second = note.Note("E4", quarterLength=2), note.Note("E4", quarterLength=2)
    first.tie, second.tie = tie.Tie("start"), tie.Tie("stop")
    part.append([meter.TimeSignature("2/4"), first, second, note.Note("F4", quarterLength=1)])
    path = tmp_path / "tied.musicxml"
    stream.Score([part]).write("musicxml", fp=path)
    score = read_score(path)
    assert [(n.start, n.end) for n in on_grid([(0, score.parts[0])], score.performed).notes] == [
        (0, 16),
        (16, 20),
    ]


def test_of_several_midi_tracks_the_outer_and_the_two_busiest_are_the_voices(tmp_path):
    tracks = [
        ("Drums", True, [(36, i, i + 0.5) for i in range(8)]),
        ("Alto", False, [(64, 0, 2)]),  # sounds for two beats only: not busy
        ("Lead", False, scale_run(72)),
        ("Bass", False, scale_run(40)),
        ("Inner 1", False, scale_run(62)),
        ("Inner 2", False, scale_run(55)),
        ("Pad", False, [(60, 0, 4)]),
    ]
    score = read_score(write_midi(tmp_path / "band.mid", tracks))
    assert [p.name for p in score.parts] == [t[0] for t in tracks]  # the file's track numbers stay
    assert score.parts[0].notes == []  # drums: sounds, not pitches
    assert [(v, p.name) for v, p in voices_of(score)] == [
        (0, "Lead"),
        (1, "Inner 1"),
        (2, "Inner 2"),
        (3, "Bass"),
    ]


def test_a_notated_score_takes_its_voices_by_name_else_by_pitch(tmp_path):
    satb = [("Soprano", [("C5", 4)]), ("Alto", [("E4", 4)]), ("Tenor", [("G3", 4)]), ("Bass", [("C3", 4)])]
    named = write_musicxml(tmp_path / "named.musicxml", [("Organ", [("C6", 4)]), *satb])
    assert read_chorale(named).pitches[:, 0].tolist() == [72, 64, 55, 48]  # the organ is left out
    duet = write_musicxml(tmp_path / "duet.musicxml", [("Violin", [("G3", 4)]), ("Flute", [("E5", 4)])])
    assert read_chorale(duet).pitches[:, 0].tolist() == [76, REST, REST, 55]  # high to low, lowest the bass
    midi = write_midi(
        tmp_path / "named.mid", [("Bass", False, [(72, 0, 1)]), ("Soprano", False, [(48, 0, 1)])]
    )
    assert read_chorale(midi).pitches[:, 0].tolist() == [72, REST, REST, 48]  # MIDI names are free text


def test_a_midi_key_signature_is_kept_else_the_key_is_estimated(tmp_path):
    path = write_midi(
        tmp_path / "a minor.mid", [("", False, [(p, i, i + 1) for i, p in enumerate([69, 71, 72, 69])])]
    )
    assert read_chorale(path).key_name == "A minor"
    midi = pretty_midi.PrettyMIDI(str(path))
    midi.key_signature_changes = [pretty_midi.KeySignature(pretty_midi.key_name_to_key_number("F major"), 0)]
    midi.write(str(tmp_path / "f major.mid"))
    assert read_chorale(tmp_path / "f major.mid").key_name == "F major"
