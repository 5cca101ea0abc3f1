import numpy as np
import pretty_midi
import pytest
from music21 import note, stream

from deepchorale.compose.melody import (
    MelodyError,
    at_chorale_pace,
    load_melody,
    melody_from_notes,
    place_in_register,
)
from deepchorale.compose.tunes import BUILTIN_MELODIES
from deepchorale.data.chorale import REST
from deepchorale.data.registers import Registers


@pytest.mark.parametrize("name", sorted(BUILTIN_MELODIES))
def test_builtin_tunes_fill_whole_bars(name):
    melody = load_melody(name)
    tune = BUILTIN_MELODIES[name]
    bar = 16 * tune.meter[0] // tune.meter[1]
    assert melody.num_steps % bar == 0  # whole bars; a pickup is completed by a short last bar
    assert melody.onsets[0] and melody.pitches[0] != REST
    placed = place_in_register(melody)
    sounding = placed.pitches[placed.pitches != REST]
    assert np.array_equal(placed.pitches, melody.pitches)  # written where a chorale soprano sings
    assert sounding.min() >= 62 and sounding.max() <= 78  # Bach's soprano band, p2-p98


def test_builtin_keys_are_detected():
    assert load_melody("ode_to_joy").key_tonic == 7  # G major
    assert (load_melody("greensleeves").key_tonic, load_melody("greensleeves").key_mode) == (9, "minor")
    assert load_melody("twinkle_twinkle").key_tonic == 7


def quarter_notes(pitches, name="tune"):
    return melody_from_notes(name, [(4 * i, 4 * i + 4, p) for i, p in enumerate(pitches)])


def test_the_octave_leaving_fewest_notes_outside_bachs_soprano_band_wins():
    # C4-A4: C4 is below the band (D4-F#5), 1 note of 10; an octave up 3 of 10 are above it.
    low = quarter_notes([60, 62, 64, 65, 67, 69, 67, 65, 64, 62])
    assert compass(place_in_register(low)) == (60, 69)
    high = quarter_notes([74, 76, 77, 79, 81, 79, 77, 76])  # three notes above the band, an octave down none
    assert compass(place_in_register(high)) == (62, 69)


def test_a_tune_goes_where_the_corpus_sopranos_sing():
    tune = quarter_notes([67, 69, 71, 72, 74, 72, 71, 69])  # G4-D5: inside Bach's soprano band
    low_corpus = Registers(((50, 66), (45, 60), (40, 55), (30, 48)), (58, 52, 47, 40), "a low corpus")
    assert compass(place_in_register(tune)) == (67, 74)
    assert compass(place_in_register(tune, registers=low_corpus)) == (55, 62)  # an octave down


def test_transposition_moves_the_key_only_when_asked():
    tune = quarter_notes([60, 62, 64, 65, 67, 65, 64, 62, 60])  # C major: two notes low, or one high
    kept = place_in_register(tune)
    assert kept.key_tonic == tune.key_tonic == 0 and compass(kept) == (72, 79)
    moved = place_in_register(tune, transpose=True)
    shift = compass(moved)[0] - 60
    assert compass(moved) == (60 + shift, 67 + shift) and moved.key_tonic == shift % 12
    assert compass(moved)[0] >= 62 and compass(moved)[1] <= 78  # inside the band, near its median
    assert abs(moved.pitches[moved.pitches != REST].mean() - 71) <= 0.5


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
        ("text", "notes.txt: unsupported format"),
    ],
)
def test_bad_melodies_are_one_clear_error(tmp_path, case, message):
    with pytest.raises(MelodyError, match=message):
        load_melody(bad_input(case, tmp_path))


def test_a_tune_no_octave_makes_singable_is_refused(tmp_path):
    wide = [(36, 0, 1), (96, 1, 2), (60, 2, 3)]  # five octaves apart
    melody = load_melody(str(write_midi(tmp_path / "wide.mid", [(0, False, wide)])))
    with pytest.raises(MelodyError, match="no notes in a singable range"):
        place_in_register(melody)


def line(spelled: str, transpose: int = 0) -> list[tuple[int, float, float]]:
    """'67:1 69:0.5 ...' (MIDI pitch:beats) -> (pitch, start, end) notes, one after another."""
    notes, beat = [], 0.0
    for token in spelled.split():
        pitch, beats = token.split(":")
        notes.append((int(pitch) + transpose, beat, beat + float(beats)))
        beat += float(beats)
    return notes


# Traditional tunes (public domain), written out here with the compass of DeepComposer's samples.
WE_WISH_YOU = (  # 3/4, in E major with a coda down to F#2: MIDI 42-69, as DeepComposer's sample
    "62:1 67:1 67:.5 69:.5 67:.5 66:.5 64:1 64:1 64:1 69:1 69:.5 71:.5 69:.5 67:.5 66:1 62:1 62:1 "
    "71:1 71:.5 72:.5 71:.5 69:.5 67:1 64:1 62:.5 62:.5 64:1 69:1 66:1 67:2"
)
WE_WISH_YOU_CODA = "59:1 56:1 52:1 47:1 44:1 42:1 47:1 52:2"
DECK_THE_HALLS = (  # 4/4, in F, two octaves below where it is sung: MIDI 40-53
    "72:1.5 70:.5 69:1 67:1 65:1 67:1 69:1 65:1 67:.5 69:.5 70:.5 67:.5 69:1.5 67:.5 65:1 64:1 65:2 "
    "67:1.5 69:.5 70:1 67:1 69:1.5 70:.5 72:1 67:1 69:.5 71:.5 72:1 74:.5 76:.5 77:1 76:1 74:1 72:2"
)
POP_LEAD = "76:1 78:.5 80:.5 81:1 80:1 78:1 76:.5 73:.5 76:2 81:1 83:.5 85:.5 88:1 85:1 83:2 81:2"  # invented


def write_tracks(path, tracks, qpm=120.0, meter=(4, 4)):
    """tracks: (name, program, is_drum, notes in beats) -> a MIDI file, as a DAW would export it."""
    midi = pretty_midi.PrettyMIDI(initial_tempo=qpm)
    midi.time_signature_changes = [pretty_midi.TimeSignature(*meter, 0.0)]
    beat = 60.0 / qpm
    for name, program, is_drum, notes in tracks:
        instrument = pretty_midi.Instrument(program, is_drum=is_drum, name=name)
        instrument.notes = [pretty_midi.Note(90, p, s * beat, e * beat) for p, s, e in notes]
        midi.instruments.append(instrument)
    midi.write(str(path))
    return path


def deepcomposer_samples(folder) -> dict[str, str]:
    """MIDI files with the compass and layout of DeepComposer's non-built-in sample melodies."""
    tune = line(WE_WISH_YOU, -3)
    wish = tune + [(p, s + tune[-1][2], e + tune[-1][2]) for p, s, e in line(WE_WISH_YOU_CODA)]
    bars = 16  # the pop song: a lead over bass, chords and drums, the lead above the soprano's range
    bass = [(p, 4 * b, 4 * b + 4) for b, p in enumerate([45, 40, 42, 38] * (bars // 4))]
    chords = [(p, 4 * b, 4 * b + 4) for b in range(bars) for p in (69, 73, 76)]
    drums = [(36 if i % 2 == 0 else 38, i, i + 0.25) for i in range(4 * bars)]
    pop = [
        ("Bass", 33, False, bass),
        ("Lead", 80, False, line(POP_LEAD) + [(p, s + 16, e + 16) for p, s, e in line(POP_LEAD)]),
        ("Chords", 89, False, chords),
        ("Drums", 0, True, drums),
    ]
    return {
        "we_wish_you": str(
            write_tracks(folder / "we_wish_you.mid", [("Piano", 0, False, wish)], meter=(3, 4))
        ),
        "deck_the_halls": str(
            write_tracks(folder / "deck_the_halls.mid", [("", 0, False, line(DECK_THE_HALLS, -24))])
        ),
        "pop_song": str(write_tracks(folder / "pop_song.mid", pop, qpm=110)),
    }


def compass(melody) -> tuple[int, int]:
    sounding = melody.pitches[melody.pitches != REST]
    return int(sounding.min()), int(sounding.max())


@pytest.mark.parametrize(
    ("sample", "read", "placed"),
    [
        ("we_wish_you", (42, 69), (54, 81)),
        ("deck_the_halls", (40, 53), (64, 77)),
        ("pop_song", (73, 88), (61, 76)),
    ],
)
def test_deepcomposer_samples_are_moved_by_octaves_into_the_soprano(tmp_path, sample, read, placed):
    melody = load_melody(deepcomposer_samples(tmp_path)[sample])
    assert compass(melody) == read  # the pop song yields its lead, not its bass, chords or drums
    moved = place_in_register(melody)
    assert compass(moved) == placed
    assert (moved.pitches - melody.pitches)[melody.pitches != REST].tolist() == [placed[0] - read[0]] * int(
        (melody.pitches != REST).sum()
    )  # one octave shift for the whole tune: its shape is kept


# C5-G5 (one G5 above the band) rather than C4-G4 (two C4s below it)
@pytest.mark.parametrize(("low", "shift"), [(24, 48), (36, 36), (84, -12), (96, -24)])
def test_too_low_and_too_high_tunes_land_in_the_soprano_range(tmp_path, low, shift):
    tune = [(low + p, i, i + 1) for i, p in enumerate([0, 2, 4, 5, 7, 5, 4, 2, 0])]
    melody = load_melody(str(write_midi(tmp_path / "tune.mid", [(0, False, tune)])))
    assert compass(place_in_register(melody)) == (low + shift, low + shift + 7)


def test_the_melody_track_is_the_highest_single_line_or_the_one_named_so(tmp_path):
    tune = [(p, i, i + 1) for i, p in enumerate([67, 69, 71, 72, 71, 69, 67, 67])]
    pad = [(p, 0, 8) for p in (72, 76, 79)]  # higher than the tune, but chords
    bass = [(43, 0, 8)]
    path = write_tracks(
        tmp_path / "band.mid", [("", 48, False, pad), ("", 33, False, bass), ("", 0, False, tune)]
    )
    assert compass(load_melody(str(path))) == (67, 72)
    named = write_tracks(tmp_path / "named.mid", [("Strings", 48, False, tune), ("Melody", 73, False, bass)])
    assert compass(load_melody(str(named))) == (43, 43)


def test_a_tune_in_eighths_is_set_at_a_chorales_pace():
    eighths = melody_from_notes(
        "reel", [(2 * i, 2 * i + 2, p) for i, p in enumerate([67, 69, 71, 72, 74, 72, 71, 69])],
        meter=(2, 4), pickup=2,
    )  # fmt: skip
    paced, factor = at_chorale_pace(eighths)
    assert factor == 2 and (paced.meter, paced.pickup) == ((2, 2), 4)
    assert paced.pitches.tolist() == np.repeat(eighths.pitches, 2).tolist()
    assert np.flatnonzero(paced.onsets).tolist() == [4 * i for i in range(8)]  # same notes, quarters
    in_quarters = load_melody("ode_to_joy")
    assert at_chorale_pace(in_quarters) == (in_quarters, 1)  # chorale tunes are left as written
