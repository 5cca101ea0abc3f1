"""The figures `deepchorale data` reports about the corpus and its split."""

from __future__ import annotations

from collections import Counter

import numpy as np

from deepchorale.data.chorale import REST, STEPS_PER_QUARTER, VOICES, Chorale
from deepchorale.data.corpus import Corpus, skip_reason_counts


def _sorted_counts(counter: Counter) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def corpus_stats(corpus: Corpus, splits: dict[str, list[Chorale]]) -> dict:
    chorales = corpus.chorales
    lengths = np.array([c.num_steps for c in chorales]) / STEPS_PER_QUARTER
    pitches = np.concatenate([c.pitches for c in chorales], axis=1)
    ranges = {}
    for voice, row in zip(VOICES, pitches):
        sounding = row[row != REST]
        ranges[voice] = [int(sounding.min()), int(sounding.max())]
    return {
        "chorales": len(chorales),
        "chorales_per_split": {name: len(members) for name, members in splits.items()},
        "steps": int(lengths.sum() * STEPS_PER_QUARTER),
        "steps_per_split": {name: sum(c.num_steps for c in members) for name, members in splits.items()},
        "notes": int(sum(int(c.onsets.sum()) for c in chorales)),
        "length_quarters": {
            "min": float(lengths.min()),
            "median": float(np.median(lengths)),
            "max": float(lengths.max()),
        },
        "keys": _sorted_counts(Counter(c.key_name for c in chorales)),
        "modes": _sorted_counts(Counter(c.key_mode for c in chorales)),
        "meters": _sorted_counts(Counter(f"{c.meter[0]}/{c.meter[1]}" for c in chorales)),
        "voice_ranges": ranges,
        "rest_share": float((pitches == REST).mean()),
        "chorales_with_fermatas": sum(bool(c.fermatas.any()) for c in chorales),
        "files_read": corpus.files,
        "skipped": {
            "count": len(corpus.skipped),
            "by_reason": skip_reason_counts(corpus.skipped),
            "pieces": corpus.skipped,
        },
        "quantized_notes": corpus.quantized_notes,
        "dropped_notes": corpus.dropped_notes,
        "cache": corpus.info,
    }
