"""Corpus preparation speed: cold build, cached load, and our MusicXML reader vs music21's parser.

    .venv/bin/python benchmarks/data_prep.py [--out benchmarks/results/data_prep.json]

Cold build = parse every Bach file of music21's corpus in `--workers` processes into chorales
and write the cache; cached load = read that cache back. The peer is music21's own parser
(`converter.parse`, the reference the reader is tested against) on every `--peer-stride`-th file,
timed in the same run, single process on both sides, so the speedup is a ratio on one machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from deepchorale.data.cache import load_or_build
from deepchorale.data.corpus import CorpusOptions, corpus_files, parse_file


def timed(function, repeats: int) -> list[float]:
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="benchmarks/results/data_prep.json")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peer-stride", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as cache_dir:
        cold = timed(lambda: load_or_build(cache_dir, workers=args.workers, rebuild=True), args.repeats)
        corpus = load_or_build(cache_dir)
        cached = timed(lambda: load_or_build(cache_dir), 5 * args.repeats)

    from music21 import converter  # imported here: its import time is not the reader's cost

    sample = [p for p in corpus_files("bach") if p.suffix in (".mxl", ".xml")][:: args.peer_stride]
    ours = timed(lambda: [parse_file(p, CorpusOptions()) for p in sample], 1)[0]
    music21 = timed(lambda: [converter.parse(p, forceSource=True) for p in sample], 1)[0]

    chorales = len(corpus.chorales)
    result = {
        "benchmark": "data_prep",
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine()},
        "workers": args.workers,
        "files": corpus.files,
        "chorales": chorales,
        "cold_build_seconds": statistics.median(cold),
        "cold_build_seconds_all": cold,
        "cached_load_seconds": statistics.median(cached),
        "chorales_per_second_cold": chorales / statistics.median(cold),
        "peer": {
            "files": len(sample),
            "reader_seconds": ours,
            "music21_parse_seconds": music21,
            "reader_speedup_vs_music21": music21 / ours,
        },
        "goals": {"cold_build_seconds": 10.0, "cached_load_seconds": 0.5},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
