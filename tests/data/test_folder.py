"""A folder of one's own music: the files read, the voices picked, the broken files reported."""

import json
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import pretty_midi
import pytest

from deepchorale.data.chorale import REST
from deepchorale.data.corpus import corpus_dir
from deepchorale.data.folder import (
    FolderError,
    FolderOptions,
    assign_file_splits,
    fit_vocabulary,
    load_or_build_folder,
    split_by_pitch,
)
from deepchorale.data.folder_datamodule import FolderDataModule
from deepchorale.data.musicxml import Part, PartNote

# Four-part triads (bass, tenor, alto, soprano) of a cadential progression in C, a half note each.
PROGRESSION = [(48, 55, 64, 72), (53, 57, 65, 72), (55, 59, 67, 74), (48, 55, 64, 72),
               (45, 57, 64, 72), (50, 57, 65, 74), (43, 55, 62, 71), (48, 55, 64, 72)]  # fmt: skip
BROKEN = {  # file -> the reason the report gives
    "broken/garbage.mid": "not a readable MIDI file",
    "broken/empty.musicxml": "empty file",
    "broken/tune.mid": "1 sounding voice: a melody, not part music",
    "broken/drums.mid": "only drums, no pitched notes",
    "notes.txt": "not a score file (.txt)",
}


def four_track_midi(path: Path, shift: int, names=("Flute", "Oboe", "Clarinet", "Bassoon")) -> None:
    """Four tracks, one voice each, in file order bass first (the reader orders them by pitch)."""
    midi = pretty_midi.PrettyMIDI(initial_tempo=120)
    for voice, name in zip(range(3, -1, -1), reversed(names)):
        track = pretty_midi.Instrument(0, name=name)
        for bar, chord in enumerate(PROGRESSION * 2):
            track.notes.append(pretty_midi.Note(80, chord[3 - voice] + shift, bar * 1.0, bar * 1.0 + 1.0))
        midi.instruments.append(track)
    midi.write(str(path))


def piano_midi(path: Path) -> None:
    """One track of block chords, played a little unevenly, as a pianist would."""
    midi = pretty_midi.PrettyMIDI(initial_tempo=120)
    piano = pretty_midi.Instrument(0, name="Piano")
    for bar, chord in enumerate(PROGRESSION * 2):
        for lateness, pitch in enumerate(chord):
            piano.notes.append(pretty_midi.Note(70, pitch, bar + 0.01 * lateness, bar + 0.98))
    midi.instruments.append(piano)
    midi.write(str(path))


def one_track_midi(path: Path, pitches, drum: bool = False) -> None:
    midi = pretty_midi.PrettyMIDI(initial_tempo=120)
    track = pretty_midi.Instrument(0, is_drum=drum)
    track.notes = [pretty_midi.Note(80, p, i * 0.5, i * 0.5 + 0.5) for i, p in enumerate(pitches)]
    midi.instruments.append(track)
    midi.write(str(path))


def write_music_folder(folder: Path) -> Path:
    """Twelve usable pieces (ten four-track MIDI files in nested folders, a piano track, a
    MusicXML chorale) and the broken files of BROKEN."""
    for shift in range(10):
        (folder / f"set{shift % 2}").mkdir(parents=True, exist_ok=True)
        four_track_midi(folder / f"set{shift % 2}" / f"piece{shift}.mid", shift + 1)  # the piano is at 0
    piano_midi(folder / "piano.mid")
    shutil.copy(corpus_dir("bach") / "bwv66.6.mxl", folder / "chorale.mxl")
    (folder / "broken").mkdir()
    (folder / "broken" / "garbage.mid").write_bytes(b"MThd not really a MIDI file")
    (folder / "broken" / "empty.musicxml").write_bytes(b"")
    one_track_midi(folder / "broken" / "tune.mid", [60, 62, 64, 65, 67])
    one_track_midi(folder / "broken" / "drums.mid", [36, 38, 36, 38], drum=True)
    (folder / "notes.txt").write_text("not music")
    (folder / ".hidden.mid").write_bytes(b"ignored: hidden files are not read")
    return folder


@pytest.fixture(scope="module")
def music_folder(tmp_path_factory) -> Path:
    return write_music_folder(tmp_path_factory.mktemp("music"))


def test_every_file_is_read_or_skipped_with_its_reason(music_folder, tmp_path):
    built, cache = load_or_build_folder(music_folder, tmp_path, workers=1)
    assert built.corpus.files == 17 and len(built.corpus.chorales) == 12
    assert set(built.corpus.skipped) == set(BROKEN)
    for name, reason in BROKEN.items():
        assert built.corpus.skipped[name].startswith(reason)
    assert built.files["set0/piece0.mid"]["rule"] == "most_notes"
    assert built.files["set0/piece0.mid"]["parts"] == ["Flute", "Oboe", "Clarinet", "Bassoon"]
    assert built.files["piano.mid"]["rule"] == "pitch_order"
    assert built.files["chorale.mxl"]["parts"] == ["Soprano", "Alto", "Tenor", "Bass"]
    piano = next(c for c in built.corpus.chorales if c.id == "piano")
    # the uneven chord is one chord: every voice strikes once a bar, and the voices keep their order
    assert piano.onsets.sum(axis=1).tolist() == [16, 16, 16, 16]
    assert np.all(np.diff(piano.pitches, axis=0) <= 0)
    assert built.changes["quantized"] > 0  # the pianist's lateness moved onto the grid
    assert cache.exists() and cache.with_suffix(".json").exists()
    again, _ = load_or_build_folder(music_folder, tmp_path, workers=1)
    assert not again.corpus.info["built"] and again.files == built.files


def test_named_parts_pick_and_order_the_voices(music_folder, tmp_path):
    options = FolderOptions(parts=("oboe", "flute", "clarinet", "bassoon"))
    built, _ = load_or_build_folder(music_folder / "set0", tmp_path, options, workers=1)
    piece = next(c for c in built.corpus.chorales if c.id == "piece0")
    assert piece.pitches[0, 0] < piece.pitches[1, 0]  # the oboe, below the flute, sings soprano
    with pytest.raises(FolderError, match="four part names"):
        FolderOptions(pick="named")


def test_a_held_note_stays_one_note_while_another_voice_moves():
    held = Part("", [PartNote(Fraction(0), Fraction(4), 60, False, False)])
    tune = [72, 74, 76, 77]
    moving = Part("", [PartNote(Fraction(i), Fraction(1), p, False, False) for i, p in enumerate(tune)])
    voices, left_out, moved = split_by_pitch([held, moving], Fraction(1))
    soprano, bass = voices[0][1].notes, voices[3][1].notes
    assert [n.pitch for n in soprano] == tune and left_out == moved == 0
    assert [n.pitch for n in bass] == [60] * 4  # in four pieces, tied: one note on the grid
    assert [n.tie_continues for n in bass] == [False, True, True, True]


def test_pitches_outside_the_models_range_move_by_octaves(music_folder, tmp_path):
    built, _ = load_or_build_folder(music_folder, tmp_path, workers=1)
    piece = next(c for c in built.corpus.chorales if c.id == "set0/piece0")  # a half note a chord
    high = piece.transpose(36)  # three octaves up: most of it above MIDI 81
    fitted, folded = fit_vocabulary(high)
    assert np.array_equal(fitted.pitches, piece.pitches) and folded == 0
    wide = piece.pitches.copy()
    wide[3, :8] = 24  # a low C1 in the bass, for the first half note
    fitted, folded = fit_vocabulary(type(piece)(piece.id, wide, piece.onsets, piece.fermatas))
    assert folded == 1 and fitted.pitches[3, 0] == 36


def test_every_split_gets_a_piece_even_from_a_small_folder(music_folder, tmp_path):
    datamodule = FolderDataModule(str(music_folder), cache_dir=str(tmp_path), parse_workers=1)
    datamodule.setup()
    sizes = {name: len(pieces) for name, pieces in datamodule.splits.items()}
    assert sizes["val"] >= 1 and sizes["test"] >= 1 and sum(sizes.values()) == 12
    manifest = json.loads(datamodule.manifest_file().read_text())
    assert manifest["train"] == sorted(c.id for c in datamodule.splits["train"])
    assert assign_file_splits(datamodule.corpus.chorales) == {k: manifest[k] for k in sizes}
    # the voices' ranges, and so the transpositions, are the folder's own (within the one-hot range)
    pitches = np.concatenate([c.pitches for c in datamodule.splits["train"]], axis=1)
    for (low, high), voice in zip(datamodule.ranges, pitches):
        assert (low, high) == (voice[voice != REST].min(), voice[voice != REST].max())


def test_a_folder_without_a_usable_piece_is_refused(tmp_path):
    (tmp_path / "music").mkdir()
    (tmp_path / "music" / "garbage.mid").write_bytes(b"no MIDI")
    with pytest.raises(FolderError, match="no usable piece"):
        FolderDataModule(str(tmp_path / "music"), cache_dir=str(tmp_path / "cache"), parse_workers=1)
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "notes.txt").write_text("not music")
    with pytest.raises(FolderError, match="no score files"):
        FolderDataModule(str(tmp_path / "text"), cache_dir=str(tmp_path / "cache"), parse_workers=1)
    with pytest.raises(FolderError, match="no folder"):
        FolderDataModule(str(tmp_path / "absent"), cache_dir=str(tmp_path / "cache"), parse_workers=1)
