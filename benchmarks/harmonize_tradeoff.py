"""What harmonisation settings cost and what they buy: seconds against judge score and voice leading.

    .venv/bin/python benchmarks/harmonize_tradeoff.py [--seeds 2] [--out ...]

For each (window, overlap, Gibbs steps) setting, harmonise every built-in melody, extended to a
60 s track, with the shipped Coconet and a few seeds (no embellishment or ornaments, so only the
harmony is judged), then score each result with the shipped judge and the voice-leading metrics.
Seconds are quoted as a ratio to the first setting (the one `conf/compose.yaml` used when this
was written), timed in the same run, so a busy machine shifts both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

import deepchorale.resolvers  # noqa: F401  (registers ${project_root:})
from deepchorale.compose.melodies import BUILTIN_MELODIES
from deepchorale.compose.melody import load_melody
from deepchorale.compose.pipeline import HarmonySettings, compose
from deepchorale.evaluation.judge import judge_probabilities
from deepchorale.evaluation.metrics import compute_metrics
from deepchorale.models.weights import load_model
from deepchorale.resolvers import project_root

SETTINGS = [  # (window, overlap, steps); a window longer than the piece samples it whole
    (64, 32, 96),
    (128, 32, 96),
    (256, 32, 96),
    (4096, 0, 96),
    (64, 32, 48),
    (4096, 0, 48),
    (4096, 0, 192),
]
HARMONY_ONLY = {"target_seconds": 60.0, "max_tempo_change": 0.25, "embellishment": None, "ornaments": None}
METRICS = ("triad_or_seventh_rate", "parallel_fifths", "parallel_octaves", "spacing_violation_rate")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/harmonize_tradeoff.json")
    args = parser.parse_args()
    root = Path(project_root())
    coconet = load_model(root / "experiments" / "pretrained" / "coconet_small" / "weights.pt")
    judge = load_model(root / "evaluation" / "judge" / "weights.pt")
    melodies = [load_melody(name) for name in sorted(BUILTIN_MELODIES)]

    rows = []
    for window, overlap, steps in SETTINGS:
        harmony = HarmonySettings(window=window, overlap=overlap, steps=steps)
        seconds, pieces = 0.0, []
        for melody in melodies:
            for seed in range(args.seeds):
                start = time.perf_counter()
                composition = compose(melody, coconet, None, harmony=harmony, seed=seed, **HARMONY_ONLY)
                seconds += time.perf_counter() - start
                pieces.append(composition.chorale)
        scores = 100.0 * judge_probabilities(judge, pieces)
        metrics = [compute_metrics(piece) for piece in pieces]
        rows.append(
            {
                "window": window,
                "overlap": overlap,
                "steps": steps,
                "seconds_per_track": seconds / len(pieces),
                "judge_score_mean": float(np.mean(scores)),
                "judge_score_median": float(np.median(scores)),
                **{name: float(np.mean([m[name] for m in metrics])) for name in METRICS},
            }
        )
        print(json.dumps(rows[-1]))
    for row in rows:
        row["seconds_vs_first"] = row["seconds_per_track"] / rows[0]["seconds_per_track"]
    result = {
        "benchmark": "harmonize_tradeoff",
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()},
        "melodies": sorted(BUILTIN_MELODIES),
        "seeds": args.seeds,
        "track_seconds": 60.0,
        "settings": rows,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
