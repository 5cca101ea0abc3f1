"""What a generator writes under Bach's own sopranos: the test split's chorales re-accompanied.

    .venv/bin/python benchmarks/accompany_test_split.py --weights A.pt [--weights B.pt] [--seeds 2]
        [--sampler duration_weight=0]

For each weights file (any model of the generator protocol with a `sampler`: Coconet, the GAN),
keep the soprano of every test chorale and let the model write alto, tenor and bass over the whole
piece with its shipped sampler settings, a few seeds each; score the results with the evaluation
judge (`paths.judge`) and the symbolic metrics, beside the same scores of Bach's own four voices
(the peer). Seconds are per piece, timed in the same run. `--sampler KEY=VALUE` changes one of
the sampler settings for every model (e.g. the GAN read cell by cell: duration_weight=0
parallel_penalty=0).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from deepchorale.compose.settings import compose_config
from deepchorale.data.chorale import Chorale, chorale_from_pitches
from deepchorale.data.datamodule import ChoraleDataModule
from deepchorale.evaluation.metrics import compute_metrics
from deepchorale.judge.scoring import judge_probabilities
from deepchorale.models.weights import load_model

METRICS = ("triad_or_seventh_rate", "non_chord_tone_rate", "parallel_fifths", "parallel_octaves",
           "voice_crossing_rate", "spacing_violation_rate", "empty_bar_rate/bass",
           "used_pitch_classes_per_bar/all", "qualified_note_rate/all",
           "tonal_distance/melody_accompaniment")  # fmt: skip


def accompanied(model, chorale: Chorale, seed: int) -> Chorale:
    pitches = torch.from_numpy(chorale.pitches.astype(np.int64))[None]
    mask = torch.zeros_like(pitches, dtype=torch.bool)
    mask[:, 1:] = True
    written = model.infill(pitches, mask, model.sampler, torch.Generator().manual_seed(seed))[0].numpy()
    return chorale_from_pitches(
        f"{chorale.id}-seed{seed}",
        written,
        meter=chorale.meter,
        key_tonic=chorale.key_tonic,
        key_mode=chorale.key_mode,
        pickup=chorale.pickup,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", action="append", required=True, help="a weights file (repeatable)")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/accompany_test_split.json")
    parser.add_argument(
        "--sampler", action="append", default=[], metavar="KEY=VALUE", help="a sampler setting"
    )
    args = parser.parse_args()
    changes = {key: yaml.safe_load(value) for key, _, value in (item.partition("=") for item in args.sampler)}
    judge = load_model(compose_config().judge, kind="judge")
    data = ChoraleDataModule(cache_dir=os.environ.get("DEEPCHORALE_CACHE", ".cache/deepchorale"))
    bach = data.chorales("test")

    def scores(pieces: list[Chorale]) -> dict[str, float]:
        judged = 100.0 * judge_probabilities(judge, pieces)
        metrics = [compute_metrics(piece) for piece in pieces]
        return {
            "judge_score_mean": float(np.mean(judged)),
            "judge_score_median": float(np.median(judged)),
            **{name: float(np.nanmean([m[name] for m in metrics])) for name in METRICS},
        }

    rows = []
    for path in args.weights:
        model = load_model(path)
        model.sampler = dataclasses.replace(model.sampler, **changes)
        start = time.perf_counter()
        pieces = [accompanied(model, chorale, seed) for chorale in bach for seed in range(args.seeds)]
        seconds = (time.perf_counter() - start) / len(pieces)
        row = {"weights": path, "model": type(model).__name__, "sampler": str(model.sampler)}
        row["seconds_per_piece"] = seconds
        rows.append({**row, **scores(pieces)})
        print(json.dumps(rows[-1]))
    result = {
        "benchmark": "accompany_test_split",
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()},
        "pieces": len(bach),
        "seeds": args.seeds,
        "bach_test_split": scores(bach),
        "models": rows,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
