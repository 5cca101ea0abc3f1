"""The judge's model-card figures, measured on whole held-out pieces of the test split.

    .venv/bin/python -m deepchorale.judge.report [weights] [--generated-dir D] [--out report.json]

- ROC AUC of P(Bach) for real Bach test chorales against each negative family's test pieces;
- expected calibration error (Naeini et al. 2015, 10 equal-width bins) on Bach vs all negatives,
  families weighted equally, as the judge was trained;
- the distribution of the judge score (100 P(Bach)) over the real Bach test split.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np

from deepchorale.judge.data import JudgeDataModule
from deepchorale.judge.negatives import FAMILY_NAMES
from deepchorale.judge.scoring import judge_probabilities
from deepchorale.models.weights import load_model
from deepchorale.resolvers import project_root


def auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(a positive scores above a negative), ties counting half: Mann-Whitney U / (n_pos n_neg)."""
    _, inverse, counts = np.unique(
        np.concatenate([positive, negative]), return_inverse=True, return_counts=True
    )
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[inverse]  # 1-based ranks, ties averaged
    n_pos, n_neg = len(positive), len(negative)
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, weights: np.ndarray, bins=10):
    """Sum over bins of (bin weight share) x |mean label - mean probability| in the bin."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(probabilities, edges) - 1, 0, bins - 1)
    error = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            share = weights[inside].sum() / weights.sum()
            gap = np.average(labels[inside], weights=weights[inside]) - np.average(
                probabilities[inside], weights=weights[inside]
            )
            error += share * abs(gap)
    return float(error)


def judge_report(weights: str, cache_dir: str, generated_dir: str | None = None) -> dict:
    judge = load_model(weights)
    data = JudgeDataModule(cache_dir=cache_dir, generated_dir=generated_dir)
    data.setup("test")
    pieces = data.pieces["test"]
    scores = {FAMILY_NAMES[f]: judge_probabilities(judge, chorales) for f, chorales in pieces.items()}
    bach = scores.pop("bach")
    negatives = list(scores.values())
    probabilities = np.concatenate([bach, *negatives])
    labels = np.concatenate([np.ones_like(bach), *[np.zeros_like(n) for n in negatives]])
    # Half the weight on Bach, half shared equally by the families, as in training.
    shares = [np.full(len(bach), 0.5 / len(bach))]
    shares += [np.full(len(n), 0.5 / len(negatives) / len(n)) for n in negatives]
    weights_ = np.concatenate(shares)
    return {
        "weights": weights,
        "test_pieces": {"bach": len(bach), **{name: len(s) for name, s in scores.items()}},
        "auc": {name: auc(bach, s) for name, s in scores.items()},
        "expected_calibration_error": expected_calibration_error(probabilities, labels, weights_),
        "bach_test_judge_score": {
            "mean": float(100 * bach.mean()),
            "quantiles": {str(q): float(100 * np.quantile(bach, q)) for q in (0.05, 0.25, 0.5, 0.75, 0.95)},
        },
        "negatives_mean_judge_score": {name: float(100 * s.mean()) for name, s in scores.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("weights", nargs="?", default=f"{project_root()}/evaluation/judge/weights.pt")
    parser.add_argument("--cache-dir", default=os.environ.get("DEEPCHORALE_CACHE", ".cache/deepchorale"))
    parser.add_argument(
        "--generated-dir",
        default=f"{project_root()}/experiments/judge_negatives/composed",
        help="our composed tracks, the `generated` family (experiments/judge_negatives/); '' = none",
    )
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    report = judge_report(args.weights, args.cache_dir, args.generated_dir or None)
    text = json.dumps(report, indent=2)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
