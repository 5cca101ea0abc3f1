"""The parsed corpus, stored once as one .npz and loaded in milliseconds.

The file name carries a hash of everything that could change the build: the parsing options,
music21's version, the list of corpus files with their sizes, and the source of the modules that
parse (so editing the reader invalidates old caches by itself).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
import zipfile
from importlib.metadata import version
from pathlib import Path

import numpy as np

from deepchorale.atomic import atomic_path
from deepchorale.data import chorale as chorale_module
from deepchorale.data import corpus as corpus_module
from deepchorale.data import key as key_module
from deepchorale.data import musicxml as musicxml_module
from deepchorale.data import scores as scores_module
from deepchorale.data.chorale import Chorale
from deepchorale.data.corpus import Corpus, CorpusOptions, build_corpus, corpus_files

PARSING_MODULES = (chorale_module, corpus_module, key_module, musicxml_module, scores_module)


def cache_key(options: CorpusOptions) -> str:
    files = [(p.name, p.stat().st_size) for p in corpus_files(options.composer)]
    digest = hashlib.sha256()
    digest.update(json.dumps([dataclasses.asdict(options), version("music21"), files]).encode())
    for module in PARSING_MODULES:
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def cache_path(cache_dir: str | Path, options: CorpusOptions) -> Path:
    return Path(cache_dir) / f"{options.composer}-chorales-{cache_key(options)}.npz"


def save_corpus(corpus: Corpus, path: str | Path) -> None:
    chorales = corpus.chorales
    bounds = np.cumsum([0] + [c.num_steps for c in chorales])
    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        np.savez(
            handle,
            pitches=np.concatenate([c.pitches for c in chorales], axis=1).astype(np.int8),
            onsets=np.concatenate([c.onsets for c in chorales], axis=1),
            fermatas=np.concatenate([c.fermatas for c in chorales]),
            bounds=bounds,
            ids=np.array([c.id for c in chorales]),
            sources=np.array([c.source for c in chorales]),
            meters=np.array([c.meter for c in chorales], np.int16),
            key_tonics=np.array([c.key_tonic for c in chorales], np.int16),
            key_modes=np.array([c.key_mode for c in chorales]),
            pickups=np.array([c.pickup for c in chorales], np.int16),
            skipped_ids=np.array(list(corpus.skipped), dtype=str),
            skipped_reasons=np.array(list(corpus.skipped.values()), dtype=str),
            counts=np.array([corpus.quantized_notes, corpus.dropped_notes, corpus.files]),
        )


def load_corpus(path: str | Path) -> Corpus:
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    bounds, pitches, onsets, fermatas = (
        arrays["bounds"],
        arrays["pitches"],
        arrays["onsets"],
        arrays["fermatas"],
    )
    chorales = [
        Chorale(
            id=str(arrays["ids"][i]),
            pitches=pitches[:, bounds[i] : bounds[i + 1]],
            onsets=onsets[:, bounds[i] : bounds[i + 1]],
            fermatas=fermatas[bounds[i] : bounds[i + 1]],
            meter=(int(arrays["meters"][i, 0]), int(arrays["meters"][i, 1])),
            key_tonic=int(arrays["key_tonics"][i]),
            key_mode=str(arrays["key_modes"][i]),
            pickup=int(arrays["pickups"][i]),
            source=str(arrays["sources"][i]),
        )
        for i in range(len(bounds) - 1)
    ]
    quantized, dropped, files = (int(x) for x in arrays["counts"])
    skipped = dict(zip(arrays["skipped_ids"].tolist(), arrays["skipped_reasons"].tolist()))
    return Corpus(chorales, skipped, quantized, dropped, files)


def load_or_build(
    cache_dir: str | Path,
    options: CorpusOptions = CorpusOptions(),
    workers: int | None = None,
    rebuild: bool = False,
) -> Corpus:
    """The cached corpus, built first when missing or stale. `corpus.info` says which and how long."""
    path = cache_path(cache_dir, options)
    start = time.perf_counter()
    if path.exists() and not rebuild:
        try:
            corpus = load_corpus(path)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            pass  # a truncated or foreign file: build it again below
        else:
            corpus.info = {"cache": str(path), "built": False, "seconds": time.perf_counter() - start}
            return corpus
    corpus = build_corpus(options, workers)
    save_corpus(corpus, path)
    corpus.info = {"cache": str(path), "built": True, "seconds": time.perf_counter() - start}
    return corpus
