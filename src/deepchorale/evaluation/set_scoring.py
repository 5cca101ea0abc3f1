"""A set of score files scored against Bach: the work of `deepchorale evaluate`.

Per piece: the Bach judge's 100 · P(Bach) (null with a note when there are no weights),
DeepComposer's combined score 50 · P(Bach) + 50 · (1 − KS pitch distance to the Bach test set),
and every metric of `compute_metrics`, originality against an n-gram index of the whole Bach
corpus. Per set: the mean scores with bootstrap intervals, the distances of the metrics to the
Bach test split, and the Fréchet distance between judge embeddings.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from deepchorale.data.cache import load_or_build
from deepchorale.data.chorale import Chorale
from deepchorale.data.scores import SCORE_SUFFIXES, ScoreError, read_chorale
from deepchorale.evaluation.distances import bootstrap_ci, frechet_distance, set_distances
from deepchorale.evaluation.metrics import NgramIndex, compute_metrics
from deepchorale.evaluation.reference import bach_split, read_reference, reference_values
from deepchorale.judge.scoring import Judge, judge_embeddings, judge_probabilities, ks_pitch_distance
from deepchorale.models.weights import WeightsError, load_model


class EvaluationSetupError(ValueError):
    """The set cannot be scored at all (no reference statistics, weights that are not the judge)."""


def find_files(inputs: str | Path | list) -> dict[str, Path]:
    """{name: path} for the files and folders named. A folder gives its score files (recursively),
    each named by its path inside the folder; the rest of a folder (notes, PDFs) is ignored. A file
    named is kept as given, whatever it is: reading it says what is wrong with it."""
    named = [inputs] if isinstance(inputs, str | Path) else list(inputs)
    files = {}
    for entry in map(Path, named):
        if entry.is_dir():
            found = sorted(p for p in entry.rglob("*") if p.is_file() and p.suffix.lower() in SCORE_SUFFIXES)
            files |= {str(p.relative_to(entry)): p for p in found}
        else:
            files[str(entry)] = entry
    return files


def read_pieces(files: dict[str, Path]) -> tuple[list[str], list[Chorale], list[dict]]:
    """(names, chorales) of the files that read as four-voice pieces, and [{file, reason}] of the rest."""
    names, chorales, failed = [], [], []
    for name, path in files.items():
        try:
            chorales.append(read_chorale(path))
        except ScoreError as error:
            failed.append({"file": name, "reason": str(error)})
        else:
            names.append(name)
    return names, chorales, failed


def load_judge(path: str | Path) -> tuple[Judge | None, str]:
    """(judge or None, note): the judge's network, or why there is none."""
    if not Path(path).is_file():
        return None, f"no judge weights at {path}: judge_score and combined_score are null"
    try:
        return load_model(path, kind="judge"), f"judge weights {path}"
    except WeightsError as error:
        raise EvaluationSetupError(str(error)) from error


def clean(value):
    """JSON-safe: NaN and infinities become null, numpy scalars floats."""
    if isinstance(value, dict):
        return {key: clean(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


def score_set(
    chorales: list[Chorale],
    names: list[str],
    *,
    reference: str | Path,
    judge: str | Path,
    critic: str | Path | None,
    cache_dir: str | Path,
    window: int,
    hop: int,
    bootstrap_resamples: int,
    seed: int,
) -> tuple[list[dict], dict]:
    """(per piece scores, set summary). `judge` is the evaluation judge's weights file (the grade:
    judge_score, combined_score, the Fréchet distance on its embeddings), `critic` compose's critic's
    (critic_score, so the gap between the grade and what compose optimised shows; None = skip);
    `window`/`hop` their windows."""
    if not Path(reference).is_file():
        raise EvaluationSetupError(
            f"no reference statistics at {reference} (python -m deepchorale.evaluation.reference)"
        )
    statistics = read_reference(reference)
    histogram = np.asarray(statistics["pitch_histogram"], float)
    index = NgramIndex.build(load_or_build(cache_dir).chorales)
    model, judge_note = load_judge(judge)
    critic_model, critic_note = load_judge(critic) if critic else (None, "no critic: critic_score is null")

    probabilities = judge_probabilities(model, chorales, window, hop) if model else [None] * len(chorales)
    critic_scores = (
        100.0 * judge_probabilities(critic_model, chorales, window, hop)
        if critic_model
        else [None] * len(chorales)
    )
    pieces = []
    for name, chorale, probability, critic_score in zip(names, chorales, probabilities, critic_scores):
        ks = ks_pitch_distance(chorale, histogram)
        judged = probability is not None
        pieces.append(
            {
                "file": name,
                "steps": chorale.num_steps,
                "key": chorale.key_name,
                "judge_score": 100.0 * float(probability) if judged else None,
                "combined_score": 50.0 * float(probability) + 50.0 * (1 - ks) if judged else None,
                "critic_score": None if critic_score is None else float(critic_score),
                "ks_pitch_distance": ks,
                "metrics": compute_metrics(chorale, index),
            }
        )

    summary: dict = {
        "pieces": len(pieces),
        "judge": judge_note,
        "critic": critic_note,
        "reference": str(reference),
    }
    for key in ("judge_score", "combined_score", "critic_score"):
        values = [p[key] for p in pieces if p[key] is not None]
        interval = bootstrap_ci(values, n=bootstrap_resamples, seed=seed) if values else None
        summary[key] = {"mean": float(np.mean(values)) if values else None, "ci95": interval}
    summary["distances"] = set_distances([p["metrics"] for p in pieces], reference_values(statistics))
    if model is not None and len(chorales) >= 2:
        bach = bach_split(statistics.get("split", "test"), cache_dir)
        summary["frechet_judge_distance"] = frechet_distance(
            judge_embeddings(model, chorales, window, hop), judge_embeddings(model, bach, window, hop)
        )
    else:
        summary["frechet_judge_distance"] = None
        summary["frechet_note"] = "needs judge weights and at least two pieces"
    return pieces, summary
