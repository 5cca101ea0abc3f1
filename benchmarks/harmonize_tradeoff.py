"""What harmonisation settings cost and what they buy: seconds against judge score and voice leading.

    .venv/bin/python benchmarks/harmonize_tradeoff.py [--seeds 2] [--coconet weights.pt] [--out ...]

For each harmonisation setting (window, Gibbs steps, temperature), harmonise every built-in
melody, extended to a 60 s track, with the default Coconet of `conf/compose.yaml` and a few seeds
(no embellishment or ornaments, so only the harmony is judged), then score each result with the
evaluation judge (`paths.judge`, which compose never consults) and the voice-leading metrics.
Seconds are quoted as a ratio to the first setting (64-step windows, the first default), timed in
the same run, so a busy machine shifts all alike.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

import deepchorale.resolvers  # noqa: F401  (registers ${project_root:})
from deepchorale.compose.harmonize import HarmonySettings
from deepchorale.compose.melody import load_melody
from deepchorale.compose.pipeline import compose_track
from deepchorale.compose.settings import compose_config
from deepchorale.compose.tunes import BUILTIN_MELODIES
from deepchorale.data.datamodule import ChoraleDataModule
from deepchorale.evaluation.metrics import compute_metrics
from deepchorale.judge.scoring import judge_probabilities
from deepchorale.models.weights import load_model

# The benchmark's own base, stated rather than taken from compose: Coconet's paper temperature,
# no voice-leading prior, one candidate, so each row shows what one knob does to the bare sampler.
BASE = HarmonySettings(
    steps=96, temperature=0.99, schedule="yao", voice_leading=None, window=None, overlap=32, candidates=1
)
SETTINGS = [  # window None = the whole piece as one block
    replace(BASE, window=64),
    replace(BASE, window=128),
    BASE,
    replace(BASE, steps=48),
    replace(BASE, steps=192),
    replace(BASE, temperature=0.7),
    replace(BASE, temperature=0.5),
    replace(BASE, temperature=0.3),
    replace(BASE, steps=192, temperature=0.5),
]
HARMONY_ONLY = {"target_seconds": 60.0, "max_tempo_change": 0.25, "revision": None, "embellishment": None,
                "ornaments": None}  # fmt: skip
METRICS = ("triad_or_seventh_rate", "parallel_fifths", "parallel_octaves", "spacing_violation_rate")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--coconet", default=None, help="a weights file; default: conf/compose.yaml's")
    parser.add_argument("--out", default="benchmarks/results/harmonize_tradeoff.json")
    args = parser.parse_args()
    cfg = compose_config()
    coconet_path = args.coconet or cfg.models.coconet
    coconet = load_model(coconet_path)
    judge = load_model(cfg.judge, kind="judge")
    data = ChoraleDataModule(cache_dir=os.environ.get("DEEPCHORALE_CACHE", ".cache/deepchorale"))
    data.setup()
    bach = data.chorales("test")
    melodies = [load_melody(name) for name in sorted(BUILTIN_MELODIES)]

    def scores(pieces: list) -> dict[str, float]:
        judged = 100.0 * judge_probabilities(judge, pieces)
        metrics = [compute_metrics(piece) for piece in pieces]
        return {
            "judge_score_mean": float(np.mean(judged)),
            "judge_score_median": float(np.median(judged)),
            **{name: float(np.mean([m[name] for m in metrics])) for name in METRICS},
        }

    rows = []
    for harmony in SETTINGS:
        seconds, pieces = 0.0, []
        for melody in melodies:
            for seed in range(args.seeds):
                start = time.perf_counter()
                composition = compose_track(melody, coconet, None, harmony=harmony, seed=seed, **HARMONY_ONLY)
                seconds += time.perf_counter() - start
                pieces.append(composition.chorale)
        rows.append({**asdict(harmony), "seconds_per_track": seconds / len(pieces), **scores(pieces)})
        print(json.dumps(rows[-1]))
    for row in rows:
        row["seconds_vs_first"] = row["seconds_per_track"] / rows[0]["seconds_per_track"]
    result = {
        "benchmark": "harmonize_tradeoff",
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()},
        "melodies": sorted(BUILTIN_MELODIES),
        "seeds": args.seeds,
        "track_seconds": 60.0,
        "coconet": str(coconet_path),
        "bach_test_split": scores(bach),
        "settings": rows,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
