"""Reference statistics of real Bach: what `deepchorale evaluate` measures generated pieces against.

The reference is the held-out TEST split of the committed manifest (never seen in training), so a
model is not rewarded for reproducing its training pieces. Per scalar metric of `compute_metrics`
(originality excluded: against the whole corpus the test pieces are their own originals) it keeps
the mean, the std and every piece's value (the distances of `distances.py` need the values), and
the set's pitch histogram (DeepComposer's KS pitch distance). It is deterministic, so it is
committed (`evaluation/reference/bach_test.json`) and checked against a fresh build by the tests.
The same command first rebuilds Bach's per-voice register bands from the TRAIN split
(`evaluation/reference/bach_registers.json`), which `register_outlier_rate` reads.

    .venv/bin/python -m deepchorale.evaluation.reference [--out evaluation/reference/bach_test.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from deepchorale.atomic import write_json
from deepchorale.data.chorale import Chorale
from deepchorale.data.registers import BANDS_PATH, Registers, bach_registers
from deepchorale.evaluation.metrics import compute_metrics
from deepchorale.evaluation.metrics.register_outlier_rate import PERCENTILES, register_bands
from deepchorale.judge.scoring import pitch_histogram

REFERENCE_PATH = Path(__file__).resolve().parents[3] / "evaluation" / "reference" / "bach_test.json"
DECIMALS = 6  # enough for every metric; keeps the committed file small and stable


def _rounded(value: float) -> float | None:
    return None if not math.isfinite(value) else round(float(value), DECIMALS)


def build_reference(chorales: Sequence[Chorale], split: str = "test", corpus: str = "Bach chorales") -> dict:
    """Per-metric mean/std/values (pieces in id order; null = undefined for that piece, ignored by
    mean and std) and the pitch histogram of a set of chorales."""
    chorales = sorted(chorales, key=lambda c: c.id)
    rows = [compute_metrics(chorale) for chorale in chorales]
    names = list(dict.fromkeys(name for row in rows for name in row))
    metrics = {}
    for name in names:
        values = np.array([row.get(name, np.nan) for row in rows], float)
        defined = values[np.isfinite(values)]
        metrics[name] = {
            "mean": _rounded(defined.mean()) if defined.size else None,
            "std": _rounded(defined.std()) if defined.size else None,
            "defined": int(defined.size),
            "values": [_rounded(v) for v in values],
        }
    return {
        "description": f"{corpus}, {split} split of the committed manifest: compute_metrics per piece",
        "split": split,
        "chorales": len(chorales),
        "ids": [c.id for c in chorales],
        "steps": int(sum(c.num_steps for c in chorales)),
        "metrics": metrics,
        "pitch_histogram": [_rounded(share) for share in pitch_histogram(chorales)],
    }


def read_reference(path: str | Path = REFERENCE_PATH) -> dict:
    return json.loads(Path(path).read_text())


def reference_values(reference: dict) -> dict[str, list[float | None]]:
    """Feature name -> the reference pieces' values, as `distances.set_distances` takes them."""
    return {name: entry["values"] for name, entry in reference["metrics"].items()}


def bach_split(split: str = "test", cache_dir: str | Path | None = None) -> list[Chorale]:
    from deepchorale.data.datamodule import ChoraleDataModule

    cache_dir = cache_dir or os.environ.get("DEEPCHORALE_CACHE", ".cache/deepchorale")
    return ChoraleDataModule(cache_dir=str(cache_dir)).chorales(split)


def corpus_registers(chorales: Sequence[Chorale], source: str) -> Registers:
    """A corpus's per-voice register bands (`register_bands`) and median pitches."""
    bands, medians = register_bands(chorales), register_bands(chorales, (50, 50))[:, 0]
    return Registers(
        tuple((int(low), int(high)) for low, high in bands), tuple(int(m) for m in medians), source
    )


def registers_record(registers: Registers, corpus: str) -> dict:
    return registers.as_json(
        f"{corpus}: each voice's p{PERCENTILES[0]} and p{PERCENTILES[1]} of note pitches (MIDI), "
        "register_bands; and their medians",
        PERCENTILES,
    )


def write_register_bands() -> None:
    """Bach's per-voice register bands from the train split, where `register_outlier_rate` reads them."""
    registers = corpus_registers(bach_split("train"), "Bach chorales (train split)")
    write_json(
        BANDS_PATH, registers_record(registers, "Bach chorales, train split of the committed manifest")
    )
    bach_registers.cache_clear()
    print(f"register bands {registers.summary()} -> {BANDS_PATH}")


def main() -> None:
    parser = argparse.ArgumentParser(description="build the Bach reference statistics")
    parser.add_argument("--out", default=str(REFERENCE_PATH))
    parser.add_argument("--split", default="test")
    args = parser.parse_args()
    write_register_bands()
    reference = build_reference(bach_split(args.split), args.split)
    write_json(args.out, reference)
    print(f"{reference['chorales']} chorales, {len(reference['metrics'])} metrics -> {args.out}")


if __name__ == "__main__":
    main()
