"""A corpus of your own: every score file under a folder, reduced to four voices on the 16th grid.

A file becomes one piece, read by the one score reader (`data/scores.py`), in four steps:
1. Which parts sing (`pick_voices`), by `pick`:
   - `named`: the four parts (MIDI tracks, MusicXML/ABC parts) named in `parts`, soprano first
     (a name matches a part whose name starts with it, ignoring case);
   - `most_notes`: the four parts with the most notes, ordered high to low by mean pitch;
   - `pitch_order`: every note of every part pooled and dealt to the voices by pitch, moment by
     moment (`split_by_pitch`): the highest to the soprano, the lowest to the bass, the next ones
     to the alto and then the tenor; a fifth and further simultaneous notes are left out (counted);
   - `auto` (the default): `named` when `parts` is given; else `most_notes` when four parts have
     notes and none of the four holds chords; else `pitch_order` (a piano track, a keyboard
     reduction, a trio).
2. Onto the 16th grid (`scores.chorale_on_grid`): meter and pickup come along, the key is estimated
   from the notes; the notes it had to move or drop are counted.
   With `normalise_note_values`, times are first scaled by a power of two so that the median note
   is a quarter, as in the chorales (music written in halves and wholes moves as fast as Bach's).
3. Into the models' pitch vocabulary (`fit_vocabulary`): the one-hot that every model reads spans
   MIDI 36-81; a piece moves whole by the octave that keeps most of its notes inside, and a note
   still outside moves by octaves to the nearest edge of it (counted as folded).
4. A piece with fewer than two sounding voices, or an exact copy of an earlier one, is skipped.

A file that cannot be read or used is skipped with its reason, never an error. The corpus is
cached as one .npz (the Bach corpus's format, `data.cache`) with a JSON report beside it, keyed by
the options, the files' contents and the source of the code that reads them. Pieces are split
train/val/test by file (`assign_file_splits`), and the split is written as a manifest beside the
cache unless a committed one is named.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import itertools
import json
import time
import zipfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from deepchorale.atomic import write_json
from deepchorale.data import chorale as chorale_module
from deepchorale.data import key as key_module
from deepchorale.data import musicxml as musicxml_module
from deepchorale.data import scores as scores_module
from deepchorale.data.cache import load_corpus, save_corpus
from deepchorale.data.chorale import REST, STEPS_PER_QUARTER, VOICES, Chorale
from deepchorale.data.convert import ONEHOT_HIGH, ONEHOT_LOW
from deepchorale.data.corpus import Corpus, content_key, parse_files
from deepchorale.data.musicxml import Part, PartNote
from deepchorale.data.scores import (
    SCORE_SUFFIXES,
    ScoreError,
    chorale_on_grid,
    high_to_low,
    read_score,
    to_step,
)
from deepchorale.data.split import FRACTIONS, SPLITS

PICKS = ("auto", "named", "most_notes", "pitch_order")
CHORDAL_SHARE = 0.1  # a part holds chords when this share of its notes starts under another of its notes
MIN_VOICES = 2  # fewer sounding voices is a melody, not part music: nothing to learn harmony from


class FolderError(ValueError):
    """The folder cannot give a corpus (missing, no score files, no usable piece); the message says why."""


@dataclass(frozen=True)
class FolderOptions:
    """Everything that changes what a folder's corpus holds (and so its cache key), but the files."""

    pick: str = "auto"
    parts: tuple[str, ...] = ()  # with pick=named (or auto): the four part names, soprano first
    normalise_note_values: bool = False
    dedupe: bool = True  # an exact copy of an earlier piece is skipped

    def __post_init__(self) -> None:
        if self.pick not in PICKS:
            raise FolderError(f"unknown pick {self.pick!r}; choose from {', '.join(PICKS)}")
        if self.pick == "named" and len(self.parts) != len(VOICES):
            raise FolderError(f"pick=named needs four part names, soprano first (got {list(self.parts)})")
        if self.parts and len(self.parts) != len(VOICES):
            raise FolderError(f"parts names the four voices, soprano first (got {list(self.parts)})")


@dataclass
class FolderCorpus:
    """The pieces and, for the report, what happened to every file (`files`, by relative path)."""

    corpus: Corpus
    files: dict[str, dict] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)  # notes quantized/dropped/folded/left out


# --- which files -----------------------------------------------------------------------------------


def folder_files(folder: Path) -> list[Path]:
    """Every file under the folder, hidden ones (and those in hidden folders) aside, in sorted order."""
    if not folder.is_dir():
        raise FolderError(f"no folder {folder}")
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


# --- which parts are the voices ----------------------------------------------------------------------


def holds_chords(part: Part) -> bool:
    """Whether many of the part's notes start while another of its notes still sounds."""
    notes = sorted(part.notes, key=lambda n: n.onset)
    overlapping, latest_end = 0, Fraction(-1)
    for note in notes:
        # a legato overlap of a performance (under a 16th) is not a chord
        overlapping += latest_end - note.onset >= Fraction(1, 4)
        latest_end = max(latest_end, note.onset + note.duration)
    return overlapping > CHORDAL_SHARE * len(notes)


def named_parts(parts: list[Part], names: tuple[str, ...]) -> list[tuple[int, Part]]:
    chosen = []
    for voice, name in enumerate(names):
        matches = [p for p in parts if p.name.lower().startswith(name.lower())]
        if not matches:
            found = ", ".join(p.name or "?" for p in parts)
            raise ScoreError(f"no part named {name!r} (parts: {found})")
        chosen.append((voice, matches[0]))
    return chosen


def most_notes(parts: list[Part]) -> list[Part]:
    """The four parts with the most notes, high to low by mean pitch."""
    return high_to_low(sorted(parts, key=lambda p: -len(p.notes))[: len(VOICES)])


def split_by_pitch(parts: list[Part], scale: Fraction) -> tuple[list[tuple[int, Part]], int, int]:
    """All notes of `parts` dealt to four voices by pitch, moment by moment: (voices, notes left
    out, notes moved onto the grid). Times are put on the grid first (the grid of `scale`, as
    `scores.on_grid` will read them), so that a chord played a little unevenly is one chord. Between
    consecutive onsets and ends the sounding notes are ranked high to low: the highest sings
    soprano, the lowest bass, the next ones alto and tenor; a note whose rank changes mid-way is
    split there, its pieces tied, so a held note stays one note while its voice does not change.
    A note shorter than the grid keeps one step: in a pooled texture it is a struck chord tone."""

    def on_grid(time: Fraction) -> Fraction:
        return Fraction(to_step(time * scale), STEPS_PER_QUARTER) / scale

    notes = sorted((n for part in parts for n in part.notes), key=lambda n: n.onset)
    step = Fraction(1, STEPS_PER_QUARTER) / scale
    spans = [(on_grid(n.onset), max(on_grid(n.onset + n.duration), on_grid(n.onset) + step)) for n in notes]
    moved = sum((start, end) != (n.onset, n.onset + n.duration) for n, (start, end) in zip(notes, spans))
    times = sorted({t for span in spans for t in span})
    voices = [Part(name) for name in VOICES]
    voice_of: dict[int, int] = {}  # index of a source note -> the voice its latest piece went to
    sounding: list[int] = []  # indices of the notes under the current moment
    upcoming = 0  # the next note to start, in onset order
    for start, end in itertools.pairwise(times):
        while upcoming < len(notes) and spans[upcoming][0] <= start:
            sounding.append(upcoming)
            upcoming += 1
        sounding = [i for i in sounding if spans[i][1] > start]
        ranked = sorted(sounding, key=lambda i: -notes[i].pitch)
        if len(ranked) > len(VOICES):
            ranked = [*ranked[:3], ranked[-1]]
        slots = [0, *range(1, len(ranked) - 1), len(VOICES) - 1] if len(ranked) > 1 else [0]
        for voice, index in zip(slots, ranked):
            note = notes[index]
            tied = voice_of.get(index) == voice if spans[index][0] < start else note.tie_continues
            voices[voice].notes.append(PartNote(start, end - start, note.pitch, tied, note.fermata))
            voice_of[index] = voice
    return list(enumerate(voices)), len(notes) - len(voice_of), moved


def pick_voices(
    sounding: list[Part], options: FolderOptions, scale: Fraction
) -> tuple[list[tuple[int, Part]], str, int, int]:
    """Of the parts with notes, (voice, part) pairs, the rule that chose them, the notes it left out
    and the notes it moved onto the grid (`pitch_order` does, on the grid of `scale`)."""
    pick = options.pick
    if pick == "auto":
        if options.parts:
            pick = "named"
        elif len(sounding) >= len(VOICES) and not any(holds_chords(p) for p in most_notes(sounding)):
            pick = "most_notes"
        else:
            pick = "pitch_order"
    if pick == "named":
        return named_parts(sounding, options.parts), pick, 0, 0
    if pick == "most_notes":
        if len(sounding) < len(VOICES):
            raise ScoreError(f"{len(sounding)} parts with notes, not four")
        chosen = most_notes(sounding)
        left_out = sum(len(p.notes) for p in sounding if all(p is not c for c in chosen))
        return list(enumerate(chosen)), pick, left_out, 0
    voices, left_out, moved = split_by_pitch(sounding, scale)
    return voices, pick, left_out, moved


# --- onto the grid and into the vocabulary -----------------------------------------------------------


def note_value_scale(parts: list[Part]) -> Fraction:
    """The power of two (1/4 to 4) that makes the median note a quarter."""
    durations = [float(n.duration) for part in parts for n in part.notes if n.duration > 0]
    return Fraction(2) ** int(np.clip(round(-np.log2(np.median(durations))), -2, 2))


def fit_vocabulary(chorale: Chorale) -> tuple[Chorale, int]:
    """The piece moved whole by the octave that keeps most notes in MIDI 36-81 (the models' one-hot),
    then every note still outside moved by octaves to the nearest edge. Returns (piece, notes folded)."""
    sounding = chorale.pitches[chorale.pitches != REST]
    inside = [(np.sum((sounding + 12 * k >= ONEHOT_LOW) & (sounding + 12 * k <= ONEHOT_HIGH)), -abs(k), k)
              for k in range(-4, 5)]  # fmt: skip
    moved = chorale.transpose(12 * max(inside)[2])
    pitches = moved.pitches.astype(np.int16)
    low, high = pitches < ONEHOT_LOW, pitches > ONEHOT_HIGH
    folded = int(np.sum((low | high) & moved.onsets))
    low &= pitches != REST
    pitches = np.where(low, pitches + 12 * np.ceil((ONEHOT_LOW - pitches) / 12).astype(np.int16), pitches)
    pitches = np.where(high, pitches - 12 * np.ceil((pitches - ONEHOT_HIGH) / 12).astype(np.int16), pitches)
    return dataclasses.replace(moved, pitches=pitches), folded


def parse_folder_file(path: Path, options: FolderOptions, folder: Path) -> tuple[str, Chorale | None, dict]:
    """One file -> (its path in the folder, the piece or None, what happened: the reason it was
    skipped, or the parts that sing, the rule that picked them and the notes changed)."""
    name = path.relative_to(folder).as_posix()
    id = name.rsplit(".", 1)[0]
    if path.suffix.lower() not in SCORE_SUFFIXES:
        return name, None, {"skipped": f"not a score file ({path.suffix or 'no suffix'})"}
    try:
        # The key is estimated from the notes: a MIDI key signature is often a sequencer's default
        # C major, and one written from a score rarely knows the mode (every Palestrina file says major).
        score = dataclasses.replace(read_score(path), key=None)
        sounding = [part for part in score.parts if part.notes]
        scale = note_value_scale(sounding) if options.normalise_note_values else Fraction(1)
        voices, rule, left_out, moved = pick_voices(sounding, options, scale)
        chorale, grid = chorale_on_grid(score, voices, id, name, scale)
        chorale, folded = fit_vocabulary(chorale)
    except ScoreError as reason:
        return name, None, {"skipped": str(reason)}
    singing = int(np.sum((chorale.pitches != REST).any(axis=1)))
    if singing < MIN_VOICES:
        return name, None, {"skipped": f"{singing} sounding voice: a melody, not part music"}
    return (
        name,
        chorale,
        {
            "rule": rule,
            "parts": [part.name for _, part in voices],
            "steps": chorale.num_steps,
            "key": chorale.key_name,
            "meter": f"{chorale.meter[0]}/{chorale.meter[1]}",
            "quantized": grid.quantized + moved,
            "dropped": grid.dropped,
            "folded": folded,
            "left_out": left_out,
        },
    )


def _parse_in_folder(path: Path, arguments: tuple[FolderOptions, Path]):
    return parse_folder_file(path, *arguments)


# --- the cache ---------------------------------------------------------------------------------------

PARSING_MODULES = (chorale_module, key_module, musicxml_module, scores_module)
PARSING_FUNCTIONS = (folder_files, holds_chords, named_parts, most_notes, split_by_pitch, pick_voices,
                     note_value_scale, fit_vocabulary, parse_folder_file)  # fmt: skip


def folder_key(folder: Path, options: FolderOptions) -> str:
    """A hash of the options, every file's path in the folder and bytes, and the reading code."""
    digest = hashlib.sha256(json.dumps(dataclasses.asdict(options)).encode())
    for path in folder_files(folder):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for module in PARSING_MODULES:
        digest.update(Path(module.__file__).read_bytes())
    for function in PARSING_FUNCTIONS:  # not this whole module: editing the split keeps the cache
        digest.update(inspect.getsource(function).encode())
    return digest.hexdigest()[:16]


def build_folder_corpus(folder: Path, options: FolderOptions, workers: int | None = None) -> FolderCorpus:
    files = folder_files(folder)
    results = parse_files(_parse_in_folder, files, (options, folder), workers)
    built = FolderCorpus(Corpus(chorales=[], skipped={}, files=len(files)))
    built.changes = {"quantized": 0, "dropped": 0, "folded": 0, "left_out": 0}
    seen: dict[str, str] = {}
    for name, chorale, figures in results:
        if chorale is not None and options.dedupe:
            key = content_key(chorale, transpositions=False)
            if key in seen:
                chorale, figures = None, {"skipped": f"duplicate of {seen[key]}"}
            else:
                seen[key] = name
        built.files[name] = figures
        if chorale is None:
            built.corpus.skipped[name] = figures["skipped"]
            continue
        built.corpus.chorales.append(chorale)
        for change in built.changes:
            built.changes[change] += figures[change]
    built.corpus.quantized_notes, built.corpus.dropped_notes = (
        built.changes["quantized"],
        built.changes["dropped"],
    )
    return built


def load_or_build_folder(
    folder: str | Path,
    cache_dir: str | Path,
    options: FolderOptions = FolderOptions(),
    workers: int | None = None,
    rebuild: bool = False,
) -> tuple[FolderCorpus, Path]:
    """The folder's corpus, built first when missing or stale, and the path of its cache."""
    folder = Path(folder).expanduser().resolve()
    start = time.perf_counter()
    path = Path(cache_dir) / f"folder-{folder_key(folder, options)}.npz"
    report_path = path.with_suffix(".json")
    if path.exists() and report_path.exists() and not rebuild:
        try:
            report = json.loads(report_path.read_text())
            built = FolderCorpus(load_corpus(path), report["files"], report["changes"])
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            pass  # a truncated or foreign file: build it again below
        else:
            built.corpus.info = {"cache": str(path), "built": False, "seconds": time.perf_counter() - start}
            return built, path
    built = build_folder_corpus(folder, options, workers)
    if built.corpus.chorales:  # nothing to keep otherwise; the caller says why nothing was usable
        save_corpus(built.corpus, path)
        write_json(report_path, {"folder": str(folder), "files": built.files, "changes": built.changes})
    built.corpus.info = {"cache": str(path), "built": True, "seconds": time.perf_counter() - start}
    return built, path


# --- the split ---------------------------------------------------------------------------------------


def file_fraction(id: str) -> float:
    """Where a piece falls in [0, 1), by a hash of its path: stable as the folder grows."""
    return int(hashlib.sha256(id.encode()).hexdigest()[:8], 16) / 16**8


def assign_file_splits(chorales: list[Chorale]) -> dict[str, list[str]]:
    """80/10/10 by file (`file_fraction`); in a folder too small for that to fill every split, the
    training pieces nearest the empty split's share move there, so validation and test are never
    empty once there are three pieces."""
    bounds = np.cumsum(FRACTIONS)
    fractions = {c.id: file_fraction(c.id) for c in chorales}
    splits = {name: [] for name in SPLITS}
    for id, fraction in fractions.items():
        splits[SPLITS[int(np.searchsorted(bounds, fraction, side="right"))]].append(id)
    for name in ("val", "test"):
        if not splits[name] and len(splits["train"]) > 1:
            nearest = max(splits["train"], key=lambda id: fractions[id])
            splits["train"].remove(nearest)
            splits[name].append(nearest)
    return {name: sorted(ids) for name, ids in splits.items()}


def write_file_manifest(chorales: list[Chorale], path: str | Path) -> dict[str, list[str]]:
    splits = assign_file_splits(chorales)
    rule = assign_file_splits.__doc__.replace("\n   ", "").replace("    ", " ")
    write_json(path, {"rule": " ".join(rule.split()), **splits})
    return splits
