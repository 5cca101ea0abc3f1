"""Build the Bach chorale corpus from music21's offline corpus files.

We read the files directly (music21's `chorales.Iterator` repeats 21 of its 371 entries), keep
every score that holds exactly one Soprano, Alto, Tenor and Bass part (instrumental parts that
double or decorate them are dropped), and count every other piece under a named reason. Files
are read by the one score reader, `data/scores.py`, on both cores; the result is cached by
`deepchorale.data.cache`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from deepchorale.data.chorale import REST, Chorale
from deepchorale.data.musicxml import Score
from deepchorale.data.scores import MUSICXML_SUFFIXES, ScoreError, chorale_on_grid, read_score, satb_parts


@dataclass(frozen=True)
class CorpusOptions:
    """Everything that changes what the corpus build produces (and so the cache key)."""

    composer: str = "bach"
    keep_instrumental_scores: bool = True  # take S/A/T/B out of scores that also have instruments
    dedupe_transpositions: bool = True  # a transposed copy of a chorale counts as a duplicate


@dataclass
class Corpus:
    chorales: list[Chorale]
    skipped: dict[str, str]  # piece id -> reason
    quantized_notes: int = 0  # notes moved onto the 16th grid (triplets, 32nds)
    dropped_notes: int = 0  # notes shorter than a 16th that vanished on the grid
    files: int = 0
    info: dict = field(default_factory=dict)


def corpus_dir(composer: str) -> Path:
    """Where music21 keeps a composer's files (found without importing music21, which is slow)."""
    spec = importlib.util.find_spec("music21")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("music21 is not installed: its offline corpus holds the chorales")
    return Path(next(iter(spec.submodule_search_locations))) / "corpus" / composer


def corpus_files(composer: str) -> list[Path]:
    return sorted(p for p in corpus_dir(composer).iterdir() if p.is_file() and not p.name.startswith("_"))


def chorale_from_score(score: Score, id: str, source: str = "", keep_instrumental: bool = True):
    """A four-part score's S/A/T/B parts on the 16th grid. Returns (chorale, quantized, dropped)."""
    voices = list(enumerate(satb_parts(score, keep_instrumental)))
    chorale, grid = chorale_on_grid(score, voices, id, source)
    return chorale, grid.quantized, grid.dropped


def parse_file(path: Path, options: CorpusOptions):
    """One corpus file -> (id, chorale or None, reason or None, quantized, dropped)."""
    id = re.sub(r"\.(mxl|xml|musicxml|krn|rntxt)$", "", path.name)
    if path.suffix.lower() not in MUSICXML_SUFFIXES:
        return id + path.suffix, None, f"not a MusicXML score ({path.suffix})", 0, 0
    try:
        chorale, quantized, dropped = chorale_from_score(
            read_score(path), id, f"{options.composer}/{path.name}", options.keep_instrumental_scores
        )
    except ScoreError as reason:
        return id, None, str(reason), 0, 0
    return id, chorale, None, quantized, dropped


def _parse_chunk(args):
    parse, paths, options = args
    return [parse(path, options) for path in paths]


def usable_cpus() -> int:
    """The CPUs this process may run on: under Slurm (or taskset) its allocation, not the whole node."""
    if hasattr(os, "sched_getaffinity"):  # Linux; macOS and Windows have no affinity call
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def parse_files(parse: Callable, files: list[Path], options, workers: int | None = None) -> list[tuple]:
    """`parse(path, options)` for every file, in `workers` processes, results sorted by their first item."""
    workers = max(1, workers or usable_cpus())
    # Interleaved chunks spread the large orchestral scores over the workers.
    chunks = [(parse, files[i :: workers * 4], options) for i in range(workers * 4)]
    if workers == 1:
        results = [r for chunk in chunks for r in _parse_chunk(chunk)]
    else:
        with ProcessPoolExecutor(workers) as pool:
            results = [r for chunk in pool.map(_parse_chunk, chunks) for r in chunk]
    return sorted(results, key=lambda r: r[0])


def content_key(chorale: Chorale, transpositions: bool) -> str:
    """Hash of the notes; with `transpositions`, of the notes relative to the lowest pitch."""
    pitches = chorale.pitches.astype(np.int16)
    if transpositions:
        pitches = np.where(pitches == REST, REST, pitches - pitches[pitches != REST].min())
    return hashlib.sha1(pitches.tobytes() + chorale.onsets.tobytes()).hexdigest()


def build_corpus(options: CorpusOptions = CorpusOptions(), workers: int | None = None) -> Corpus:
    """Parse every file of the composer's corpus (in `workers` processes) into unique chorales."""
    files = corpus_files(options.composer)
    results = parse_files(parse_file, files, options, workers)
    corpus = Corpus(chorales=[], skipped={}, files=len(files))
    seen: dict[str, str] = {}
    for id, chorale, reason, quantized, dropped in results:
        if chorale is None:
            corpus.skipped[id] = reason
            continue
        key = content_key(chorale, options.dedupe_transpositions)
        if key in seen:
            corpus.skipped[id] = f"duplicate of {seen[key]}"
            continue
        seen[key] = id
        corpus.chorales.append(chorale)
        corpus.quantized_notes += quantized
        corpus.dropped_notes += dropped
    return corpus


def skip_reason_counts(skipped: dict[str, str]) -> dict[str, int]:
    """Reasons with ids and part lists folded away, so similar skips count together."""

    def family(reason: str) -> str:
        return re.sub(r" \(.*\)$| of \S+$", "", reason)

    return dict(Counter(family(r) for r in skipped.values()).most_common())
