"""Evaluation speed on 30-second pieces: the Bach judge alone, and the full symbolic suite.

    .venv/bin/python benchmarks/evaluate_throughput.py [--out benchmarks/results/evaluate_throughput.json]

A 30 s piece is 160 steps (40 quarters at 80 qpm), here Bach chorales cropped to 160 steps. The
judge is timed batched (`judge_probabilities`, window 64, hop 32: 4 windows a piece) with the
shipped weights if `evaluation/judge/weights.pt` exists, else an untrained JudgeNet of the default
config (same architecture, so the same cost). The full suite is every metric of `compute_metrics`
plus originality against the whole-corpus n-gram index plus the KS pitch distance, one piece at a
time as `deepchorale evaluate` runs it. Best of `--repeats`; the machine may be shared and loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import hydra
import torch
from omegaconf import OmegaConf

from deepchorale.data.cache import load_or_build
from deepchorale.evaluation.metrics import NgramIndex, compute_metrics
from deepchorale.judge.scoring import judge_probabilities, ks_pitch_distance, pitch_histogram
from deepchorale.models.weights import load_model
from deepchorale.precision import cpu_has_bf16

REPO = Path(__file__).resolve().parents[1]
JUDGE_WEIGHTS = REPO / "evaluation" / "judge" / "weights.pt"
PIECE_STEPS = 160  # 30 s at 80 qpm on the 16th grid


def best_seconds(function, repeats: int) -> float:
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return min(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="benchmarks/results/evaluate_throughput.json")
    parser.add_argument("--judge-pieces", type=int, default=1024)
    parser.add_argument("--suite-pieces", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]  # other jobs' demand on the cores, for reading the figures

    corpus = load_or_build(os.environ.get("DEEPCHORALE_CACHE", REPO / ".cache" / "deepchorale"))
    long_enough = [c for c in corpus.chorales if c.num_steps >= PIECE_STEPS]
    count = max(args.judge_pieces, args.suite_pieces)
    pieces = [long_enough[i % len(long_enough)].crop(0, PIECE_STEPS) for i in range(count)]

    if JUDGE_WEIGHTS.is_file():
        judge, judge_source = load_model(JUDGE_WEIGHTS), str(JUDGE_WEIGHTS.relative_to(REPO))
    else:
        judge = hydra.utils.instantiate(OmegaConf.load(REPO / "conf" / "model" / "judge.yaml").net)
        judge_source = "untrained JudgeNet, default config (no weights file)"
    judge_batch = pieces[: args.judge_pieces]
    judge_probabilities(judge, judge_batch[:64])  # warm-up: oneDNN picks its kernels on first use
    judge_seconds = best_seconds(lambda: judge_probabilities(judge, judge_batch), args.repeats)

    index = NgramIndex.build(corpus.chorales)
    histogram = pitch_histogram(corpus.chorales)
    suite_batch = pieces[: args.suite_pieces]

    def full_suite() -> None:
        for piece in suite_batch:
            compute_metrics(piece, index)
            ks_pitch_distance(piece, histogram)

    suite_seconds = best_seconds(full_suite, args.repeats)
    result = {
        "benchmark": "evaluate_throughput",
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "torch_threads": torch.get_num_threads(),
            "bf16_autocast": cpu_has_bf16(),
            "load_average_1min_before": load_before,
            "note": "shared machine, possibly loaded by other jobs: figures are lower bounds",
        },
        "piece_steps": PIECE_STEPS,
        "judge": {
            "weights": judge_source,
            "pieces": len(judge_batch),
            "seconds": judge_seconds,
            "pieces_per_second": len(judge_batch) / judge_seconds,
        },
        "full_suite": {
            "pieces": len(suite_batch),
            "metrics": len(compute_metrics(suite_batch[0], index)) + 1,
            "seconds": suite_seconds,
            "pieces_per_second": len(suite_batch) / suite_seconds,
        },
        "goals": {"judge_pieces_per_second": 500, "full_suite_pieces_per_second": 50},
    }
    result["goals_met"] = bool(
        result["judge"]["pieces_per_second"] >= 500 and result["full_suite"]["pieces_per_second"] >= 50
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
