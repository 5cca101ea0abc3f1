"""Other composers from music21's offline corpus, reduced to four voices: the judge's hardest
negatives (Palestrina, Monteverdi, the Trecento, Josquin, the Classical string quartets).

Parsed once in a process pool and cached as one .npz beside the Bach corpus (the same format,
`data.cache`), keyed by the options, music21's version, the files, and the source of the score
reader (`data/scores.py`, which reads every file) and of the functions here that choose and parse.
Pieces are split 80/10/10 by a hash of their file name.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import time
from dataclasses import asdict, dataclass
from fractions import Fraction
from importlib.metadata import version
from pathlib import Path

import numpy as np

from deepchorale.data import musicxml as musicxml_module
from deepchorale.data import scores as scores_module
from deepchorale.data.cache import load_corpus, save_corpus
from deepchorale.data.chorale import Chorale
from deepchorale.data.corpus import Corpus, corpus_dir, parse_files
from deepchorale.data.scores import ScoreError, chorale_on_grid, four_voices, read_score
from deepchorale.data.split import FRACTIONS, SPLITS

# Which files of music21's corpus each composer contributes (Beethoven's .krn duplicates his .mxl).
COMPOSER_SUFFIXES = {
    "palestrina": (".krn",),
    "monteverdi": (".mxl",),
    "trecento": (".xml", ".mxl"),
    "josquin": (".abc",),
    "haydn": (".mxl",),
    "mozart": (".mxl",),
    "beethoven": (".mxl",),
}


@dataclass(frozen=True)
class OtherComposersOptions:
    """Everything that changes the other composers' pieces (and so their cache key)."""

    composers: tuple[str, ...] = tuple(COMPOSER_SUFFIXES)
    palestrina_pieces: int = 150  # a seeded subset: all 1318 would outnumber everyone else
    files_per_composer: int | None = None  # a seeded subset of every composer (for tests); None = all
    subset_seed: int = 0
    normalise_note_values: bool = True


def file_split(name: str) -> str:
    """train/val/test for a file, 80/10/10 by a hash of its name: stable as the corpus grows."""
    fraction = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) / 16**8
    return SPLITS[int(np.searchsorted(np.cumsum(FRACTIONS), fraction, side="right"))]


def other_composer_files(options: OtherComposersOptions) -> list[Path]:
    files = []
    for composer in options.composers:
        found = sorted(
            path
            for path in corpus_dir(composer).rglob("*")
            if path.suffix.lower() in COMPOSER_SUFFIXES[composer] and not path.name.startswith("_")
        )
        limit = options.palestrina_pieces if composer == "palestrina" else None
        limit = min(x for x in (limit, options.files_per_composer, len(found)) if x is not None)
        if limit < len(found):
            rng = np.random.default_rng([options.subset_seed, list(COMPOSER_SUFFIXES).index(composer)])
            found = sorted(found[i] for i in rng.choice(len(found), limit, replace=False))
        files.extend(found)
    return files


def parse_other_composer(path: Path, options: OtherComposersOptions):
    """One file -> (id, chorale or None, reason or None, quantized, dropped)."""
    id = str(path.relative_to(corpus_dir(""))).rsplit(".", 1)[0]
    try:
        score = read_score(path)
        # Fewer than four parts take the voices from the soprano down (not the lowest as the bass):
        # the judge's negatives were built so, and the shipped judge is measured on them.
        voices = four_voices(score.parts, lowest_is_bass=False)
        # Renaissance scores are written in halves and wholes, quartet movements often in eighths:
        # scale by a power of two so the median note is a quarter, as in the chorales, or the judge
        # would learn the notation's note values instead of the style.
        durations = [float(n.duration) for _, part in voices for n in part.notes if n.duration > 0]
        scale = Fraction(2) ** int(np.clip(round(-np.log2(np.median(durations))), -2, 2))
        if not options.normalise_note_values:
            scale = Fraction(1)
        chorale, grid = chorale_on_grid(score, voices, id, path.name, scale)
    except ScoreError as error:
        return id, None, str(error), 0, 0
    return id, chorale, None, grid.quantized, grid.dropped


PARSING_FUNCTIONS = (other_composer_files, parse_other_composer)


def other_composers_cache_path(cache_dir: str | Path, options: OtherComposersOptions) -> Path:
    """One .npz per options, keyed (as `data/cache.py`) by the options, music21's version, the
    files with their sizes and the source of the code that parses."""
    files = [(str(p.relative_to(corpus_dir(""))), p.stat().st_size) for p in other_composer_files(options)]
    digest = hashlib.sha256(json.dumps([asdict(options), version("music21"), files]).encode())
    for module in (musicxml_module, scores_module):
        digest.update(Path(module.__file__).read_bytes())
    for function in PARSING_FUNCTIONS:  # not the whole module: editing a family keeps the cache
        digest.update(inspect.getsource(function).encode())
    return Path(cache_dir) / f"other-composers-{digest.hexdigest()[:16]}.npz"


def load_other_composers(
    cache_dir: str | Path,
    options: OtherComposersOptions = OtherComposersOptions(),
    workers: int | None = None,
) -> Corpus:
    """Every selected piece, parsed once in `workers` processes and cached; `skipped` names the
    files that failed to parse and why. `info` says whether it was built and how long it took."""
    path = other_composers_cache_path(cache_dir, options)
    start = time.perf_counter()
    if path.exists():
        corpus = load_corpus(path)
        corpus.info = {"cache": str(path), "built": False, "seconds": time.perf_counter() - start}
        return corpus
    files = other_composer_files(options)
    results = parse_files(parse_other_composer, files, options, workers)
    corpus = Corpus(chorales=[], skipped={}, files=len(files))
    for id, chorale, reason, quantized, dropped in results:
        if chorale is None:
            corpus.skipped[id] = reason
            continue
        corpus.chorales.append(chorale)
        corpus.quantized_notes += quantized
        corpus.dropped_notes += dropped
    save_corpus(corpus, path)
    corpus.info = {"cache": str(path), "built": True, "seconds": time.perf_counter() - start}
    return corpus


def other_composers(
    split: str,
    cache_dir: str | Path,
    options: OtherComposersOptions = OtherComposersOptions(),
    workers: int | None = None,
) -> list[Chorale]:
    """The other composers' pieces of one split (by file name hash)."""
    corpus = load_other_composers(cache_dir, options, workers)
    return [c for c in corpus.chorales if file_split(c.id) == split]
