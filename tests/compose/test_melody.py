import numpy as np
import pretty_midi
import pytest
from music21 import note, stream

from deepchorale.compose.melodies import BUILTIN_MELODIES
from deepchorale.compose.melody import MelodyError, load_melody, place_in_soprano_range
from deepchorale.data.chorale import REST


@pytest.mark.parametrize("name", sorted(BUILTIN_MELODIES))
def test_builtin_tunes_fill_whole_bars(name):
    melody = load_melody(name)
    tune = BUILTIN_MELODIES[name]
    bar = 16 * tune.meter[0] // tune.meter[1]
    assert melody.num_steps % bar == 0  # whole bars; a pickup is completed by a short last bar
    assert melody.onsets[0] and melody.pitches[0] != REST
    placed = place_in_soprano_range(melody)
    sounding = placed.pitches[placed.pitches != REST]
    assert sounding.min() >= 60 and sounding.max() <= 81


def test_builtin_keys_are_detected():
    assert load_melody("ode_to_joy").key_tonic == 2  # D major
    assert (load_melody("greensleeves").key_tonic, load_melody("greensleeves").key_mode) == (9, "minor")
    assert load_melody("twinkle_twinkle").key_tonic == 0


def write_midi(path, tracks, qpm=90.0):
    midi = pretty_midi.PrettyMIDI(initial_tempo=qpm)
    for program, is_drum, notes in tracks:
        instrument = pretty_midi.Instrument(program, is_drum=is_drum)
        beat = 60.0 / qpm
        instrument.notes = [pretty_midi.Note(90, p, s * beat, e * beat) for p, s, e in notes]
        midi.instruments.append(instrument)
    midi.write(str(path))
    return path


def test_midi_melody_takes_the_top_voice_and_tempo(tmp_path):
    tune = [(72, 0, 1), (74, 1, 2), (76, 2, 4)]
    bass = [(48, 0, 4)]
    melody = load_melody(str(write_midi(tmp_path / "two.mid", [(0, False, tune), (32, False, bass)])))
    assert melody.pitches[::4].tolist() == [72, 74, 76, 76]
    assert melody.onsets.sum() == 3
    assert melody.qpm == pytest.approx(90.0)
    chosen = load_melody(str(tmp_path / "two.mid"), track=1)
    assert set(chosen.pitches.tolist()) == {48}


def test_repeated_notes_in_midi_stay_separate(tmp_path):
    path = write_midi(tmp_path / "rep.mid", [(0, False, [(67, 0, 1), (67, 1, 2)])])
    melody = load_melody(str(path))
    assert melody.onsets.sum() == 2 and np.all(melody.pitches == 67)


def test_musicxml_melody(tmp_path):
    part = stream.Part()
    for pitch in ["G4", "A4", "B4", "C5"]:
        part.append(note.Note(pitch, quarterLength=1))
    path = tmp_path / "tune.musicxml"
    stream.Score([part]).write("musicxml", fp=path)
    melody = load_melody(str(path))
    assert melody.pitches[::4].tolist() == [67, 69, 71, 72]


def bad_input(case: str, folder) -> str:
    """The path (or name) a user might pass, made real on disk for each kind of bad input."""
    if case == "empty":
        (folder / "empty.mid").write_bytes(b"")
        return str(folder / "empty.mid")
    if case == "corrupt":
        (folder / "bad.mid").write_bytes(b"MThd garbage")
        return str(folder / "bad.mid")
    if case == "drums":
        return str(write_midi(folder / "drums.mid", [(0, True, [(36, 0, 1)])]))
    if case == "text":
        (folder / "notes.txt").write_text("C D E")
        return str(folder / "notes.txt")
    return {"missing": str(folder / "absent.mid"), "unknown": "no_such_tune"}[case]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "not found"),
        ("unknown", "unknown melody 'no_such_tune'"),
        ("empty", "empty file"),
        ("corrupt", "not a readable MIDI"),
        ("drums", "only drums"),
        ("text", "unsupported melody format"),
    ],
)
def test_bad_melodies_are_one_clear_error(tmp_path, case, message):
    with pytest.raises(MelodyError, match=message):
        load_melody(bad_input(case, tmp_path))


def test_a_tune_no_octave_makes_singable_is_refused(tmp_path):
    wide = [(36, 0, 1), (96, 1, 2), (60, 2, 3)]  # five octaves apart
    melody = load_melody(str(write_midi(tmp_path / "wide.mid", [(0, False, wide)])))
    with pytest.raises(MelodyError, match="no notes in a singable range"):
        place_in_soprano_range(melody)
