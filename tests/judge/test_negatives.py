"""The judge's negative families: deterministic, valid, and really different from their source."""

from __future__ import annotations

import numpy as np
import pytest

from deepchorale.data.chorale import REST, Chorale
from deepchorale.data.convert import to_midi
from deepchorale.judge.negatives import (
    FAMILIES,
    VOICE_RANGES,
    FamilySources,
    OtherComposersOptions,
    file_split,
    flat_rhythm,
    generated,
    make_family,
    note_noise,
    other_composers,
    permuted_voices,
    random_chords,
    random_walks,
    shuffled_bars,
    voice_off_key,
)
from deepchorale.judge.other_composers import load_other_composers

MADE_FROM_BACH = [name for name in FAMILIES if name not in ("other_composers", "generated")]


@pytest.fixture(scope="module")
def bach(manifest, by_id) -> list[Chorale]:
    return [by_id[id] for id in manifest["train"][:6]]


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.mark.parametrize("name", MADE_FROM_BACH)
def test_every_family_is_deterministic_valid_and_sized_like_its_source(name, bach):
    sources = FamilySources("train", bach)
    first, again, other_seed = (make_family(name, sources, seed) for seed in (0, 0, 1))
    assert first == again
    assert first != other_seed
    assert [c.num_steps for c in first] == [c.num_steps for c in bach]
    for piece in first:
        assert isinstance(piece, Chorale) and piece.id.startswith(name)
        assert np.any(piece.pitches != REST)
    if name not in ("random_chords", "random_walks"):  # a corruption differs from its source
        assert all(not np.array_equal(p.pitches, b.pitches) or not np.array_equal(p.onsets, b.onsets)
                   for p, b in zip(first, bach))  # fmt: skip


def bars(chorale: Chorale) -> list[bytes]:
    starts = range(chorale.pickup, chorale.num_steps, chorale.bar_steps)
    return [chorale.pitches[:, s : s + chorale.bar_steps].tobytes() for s in starts]


def test_shuffled_bars_are_a_permutation_of_the_bars(bach):
    for piece, source in zip(shuffled_bars(bach, rng()), bach):
        assert sorted(bars(piece)) == sorted(bars(source))
        assert bars(piece) != bars(source)
        assert np.array_equal(piece.pitches[:, : source.pickup], source.pitches[:, : source.pickup])


def test_permuted_voices_move_voices_by_octaves_into_other_registers(bach):
    for piece, source in zip(permuted_voices(bach, rng()), bach):
        sounding = source.pitches != REST
        shifts = piece.pitches.astype(int) - source.pitches
        assert np.array_equal(piece.pitches == REST, ~sounding)
        per_voice = [np.unique(shifts[v][sounding[v]]) for v in range(4)]
        assert all(len(s) == 1 and s[0] % 12 == 0 for s in per_voice)  # pitch classes kept
        assert sum(abs(int(s[0])) for s in per_voice) >= 24
        means = [piece.pitches[v][sounding[v]].mean() for v in range(4)]
        assert means != sorted(means, reverse=True)  # the voices no longer sit soprano to bass


def test_note_noise_replaces_a_share_of_whole_notes(bach):
    changed = total = 0
    for piece, source in zip(note_noise(bach, rng(), share=0.25), bach):
        assert np.array_equal(piece.onsets, source.onsets)
        for note in source.notes():
            span = piece.pitches[note.voice, note.start : note.end]
            assert np.all(span == span[0])  # a whole note is replaced, never part of one
            changed += int(span[0] != note.pitch)
            total += 1
    assert 0.1 < changed / total < 0.3  # 25% drawn, a few redrawn onto their own pitch


def test_voice_off_key_moves_exactly_one_voice_by_a_non_octave_interval(bach):
    for piece, source in zip(voice_off_key(bach, rng()), bach):
        moved = [v for v in range(4) if not np.array_equal(piece.pitches[v], source.pitches[v])]
        assert len(moved) == 1
        sounding = source.pitches[moved[0]] != REST
        (shift,) = np.unique(piece.pitches[moved[0]][sounding] - source.pitches[moved[0]][sounding])
        assert shift in (-6, -2, -1, 1, 2, 6)


def test_flat_rhythm_has_one_note_value_and_keeps_the_pitch_at_each_note_start(bach):
    for piece, source in zip(flat_rhythm(bach, rng()), bach):
        durations = {note.end - note.start for note in piece.notes() if note.end < piece.num_steps}
        assert len(durations) == 1 and durations <= {2, 4, 8}
        for note in piece.notes():
            assert note.pitch == source.pitches[note.voice, note.start]


def test_random_chords_and_walks_stay_in_their_voices_ranges():
    for piece in random_chords([64, 96], rng()) + random_walks([64, 96], rng()):
        for voice, (low, high) in enumerate(VOICE_RANGES):
            assert low <= piece.pitches[voice].min() and piece.pitches[voice].max() <= high
    for piece in random_chords([64], rng()):
        assert np.all(piece.onsets == piece.onsets[0])  # the four voices strike together
    for piece in random_walks([256], rng()):
        for voice in range(4):
            melody = [n.pitch for n in piece.notes() if n.voice == voice]
            assert np.abs(np.diff(melody)).max() <= 5


def test_file_split_is_stable_and_close_to_80_10_10():
    names = [f"piece{i}.krn" for i in range(2000)]
    splits = [file_split(name) for name in names]
    assert splits == [file_split(name) for name in names]
    shares = [splits.count(s) / len(splits) for s in ("train", "val", "test")]
    assert np.allclose(shares, (0.8, 0.1, 0.1), atol=0.03)


def test_other_composers_parse_one_file_each_reduce_to_four_voices_and_cache(tmp_path):
    options = OtherComposersOptions(
        composers=("palestrina", "monteverdi", "trecento", "josquin", "haydn", "mozart"), files_per_composer=1
    )
    built = load_other_composers(tmp_path, options, workers=1)
    assert built.info["built"] and built.files == 6
    assert len(built.chorales) + len(built.skipped) == 6 and len(built.chorales) >= 5
    composers = {c.id.split("/")[0] for c in built.chorales}
    assert {"palestrina", "josquin", "monteverdi"} <= composers  # .krn, .abc (music21) and .mxl
    for piece in built.chorales:
        assert piece.num_steps > 32 and np.any(piece.pitches != REST)
        means = [v[v != REST].mean() for v in piece.pitches if np.any(v != REST)]
        assert means == sorted(means, reverse=True)  # voices ordered high to low
    cached = load_other_composers(tmp_path, options, workers=1)
    assert not cached.info["built"] and cached.chorales == built.chorales
    by_split = [other_composers(s, tmp_path, options) for s in ("train", "val", "test")]
    assert sorted(c.id for split in by_split for c in split) == sorted(c.id for c in built.chorales)


def test_generated_reads_midi_files_split_by_name(tmp_path, bach):
    for index in range(12):
        to_midi(bach[index % len(bach)]).write(str(tmp_path / f"sample{index}.mid"))
    (tmp_path / "notes.txt").write_text("not a MIDI file")
    pieces = {split: generated(tmp_path, split) for split in ("train", "val", "test")}
    assert sum(len(p) for p in pieces.values()) == 12
    for piece in pieces["train"]:
        index = int(piece.id.removeprefix("generated-sample"))
        assert np.array_equal(piece.pitches, bach[index % len(bach)].pitches)
    assert generated(None, "train") == []
