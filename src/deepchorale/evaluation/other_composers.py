"""Other composers from music21's offline corpus, reduced to four voices: the judge's hardest
negatives (Palestrina, Monteverdi, the Trecento, Josquin, the Classical string quartets).

Parsed once in a process pool and cached as one .npz beside the Bach corpus (the same format,
`data.cache`), keyed by the options, music21's version, the files and the parsing functions' source.
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
from deepchorale.data.cache import load_corpus, save_corpus
from deepchorale.data.chorale import STEPS_PER_QUARTER, Chorale, Note, chorale_from_notes
from deepchorale.data.corpus import Corpus, corpus_dir, parse_files
from deepchorale.data.musicxml import PartNote, read_musicxml
from deepchorale.data.split import FRACTIONS, SPLITS

# SATB ranges (MIDI) for the random families, close to the JSB ranges of Coconet (Huang et al. 2017).


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


def _music21_parts(path: Path) -> tuple[list[list[PartNote]], tuple[int, int] | None]:
    """Humdrum and ABC through music21 (slow but the only reader); a chord's top note stands in for it."""
    import music21

    parsed = music21.converter.parse(path)
    # music21 reads a multi-voice ABC file as an Opus of one-part scores, one per voice.
    scores = parsed.scores if isinstance(parsed, music21.stream.Opus) else [parsed]
    parts = []
    for part in (part for score in scores for part in score.parts):
        notes = []
        for element in part.flatten().notes:
            pitch = max(p.midi for p in element.pitches)
            tie = element.tie.type if element.tie is not None else None
            onset, duration = Fraction(element.offset), Fraction(element.quarterLength)
            notes.append(PartNote(onset, duration, pitch, tie in ("stop", "continue"), False))
        parts.append(notes)
    signatures = list(parsed.recurse().getElementsByClass("TimeSignature"))
    meter = (signatures[0].numerator, signatures[0].denominator) if signatures else None
    return parts, meter


def reduce_to_four(parts: list[list[PartNote]]) -> list[list[PartNote]]:
    """At most four parts, high to low: the highest and the lowest (by mean pitch) and the two
    busiest (most sounding time) of the others; fewer parts stay as they are."""
    parts = sorted((p for p in parts if p), key=lambda p: -np.mean([n.pitch for n in p]))
    if len(parts) > 4:
        middle = sorted(parts[1:-1], key=lambda p: -sum(n.duration for n in p))[:2]
        parts = [parts[0], *sorted(middle, key=lambda p: -np.mean([n.pitch for n in p])), parts[-1]]
    return parts


def parse_other_composer(path: Path, options: OtherComposersOptions):
    """One file -> (id, chorale or None, reason or None, quantized, dropped)."""
    id = str(path.relative_to(corpus_dir(""))).rsplit(".", 1)[0]
    try:
        if path.suffix.lower() in (".mxl", ".xml"):
            score = read_musicxml(path)
            parts, meter = [p.notes for p in score.parts], score.meter
        else:
            parts, meter = _music21_parts(path)
    except Exception as error:  # music21 raises many kinds of error on a bad file
        return id, None, f"unreadable ({type(error).__name__})", 0, 0
    parts = reduce_to_four(parts)
    if not parts:
        return id, None, "no notes", 0, 0
    # Renaissance scores are written in halves and wholes, quartet movements often in eighths:
    # scale by a power of two so the median note is a quarter, as in the chorales, or the judge
    # would learn the notation's note values instead of the style.
    durations = [float(n.duration) for p in parts for n in p if n.duration > 0]
    scale = Fraction(2) ** int(np.clip(round(-np.log2(np.median(durations))), -2, 2))
    if not options.normalise_note_values:
        scale = Fraction(1)
    notes, quantized, dropped = [], 0, 0
    for voice, part in enumerate(parts):
        for note in part:
            exact_start = note.onset * scale * STEPS_PER_QUARTER
            exact_end = (note.onset + note.duration) * scale * STEPS_PER_QUARTER
            start, end = round(exact_start), round(exact_end)
            quantized += start != exact_start or end != exact_end
            if end <= start:
                dropped += 1
            elif note.tie_continues and notes and notes[-1].voice == voice and notes[-1].end == start:
                notes[-1] = Note(voice, notes[-1].start, end, notes[-1].pitch)
            else:
                notes.append(Note(voice, start, end, note.pitch))
    numerator, denominator = meter or (4, 4)
    denominator = int(denominator / scale) if denominator / scale >= 1 else denominator
    if numerator * STEPS_PER_QUARTER * 4 // denominator < 1:
        numerator, denominator = 4, 4
    if not notes:
        return id, None, "no notes on the 16th grid", quantized, dropped
    chorale = chorale_from_notes(id, notes, meter=(numerator, denominator), source=path.name)
    return id, chorale, None, quantized, dropped


PARSING_FUNCTIONS = (other_composer_files, _music21_parts, reduce_to_four, parse_other_composer)


def other_composers_cache_path(cache_dir: str | Path, options: OtherComposersOptions) -> Path:
    """One .npz per options, keyed (as `data/cache.py`) by the options, music21's version, the
    files with their sizes and the source of the code that parses."""
    files = [(str(p.relative_to(corpus_dir(""))), p.stat().st_size) for p in other_composer_files(options)]
    digest = hashlib.sha256(json.dumps([asdict(options), version("music21"), files]).encode())
    digest.update(Path(musicxml_module.__file__).read_bytes())
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
