"""An automated Turing test of compose: can discriminators trained from scratch tell its
harmonisations of Bach's test-split sopranos from Bach's own, two bars at a time?

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/turing_test.py [--chorales 12] [--seeds 0 1]
        [--pieces DIR [--reuse]] [override ...]

The first `--chorales` test chorales (id order; `--split val`: validation chorales, for choosing
settings, so that the test split stays the measurement nobody tuned on) are harmonised by
`deepchorale compose` at its shipped settings or with the compose overrides given
(`compose/bach_sopranos.py`: no form, each stage's output kept); per stage, gradient-boosted trees
on window features and a small CNN on piano rolls are cross-validated against Bach's windows,
grouped by chorale (`evaluation/turing_test.py`), beside the Bach-against-Bach control (the whole
split). What `deepchorale evaluate mode=turing` runs, with timings.

Harmonising is most of a run (20-30 minutes for the 41 validation sopranos at one thread);
discriminating takes one or two. `--pieces DIR` keeps every stage's pieces there (one .npz per
stage, the corpus cache's format; the overrides and the harmonising seconds in pieces.json);
`--reuse` discriminates the pieces already in DIR instead of harmonising again, e.g. with another
`--seed` to see how much of an AUC's spread is the discriminators' own training, not the music.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch

from deepchorale.atomic import write_json
from deepchorale.compose.bach_sopranos import harmonise_sopranos, piece_id
from deepchorale.compose.settings import compose_config
from deepchorale.data.cache import load_corpus, save_corpus
from deepchorale.data.chorale import Chorale
from deepchorale.data.corpus import Corpus
from deepchorale.evaluation.metrics import compute_metrics
from deepchorale.evaluation.reference import bach_split
from deepchorale.evaluation.register_target import VoiceMeanBands
from deepchorale.evaluation.set_scoring import clean
from deepchorale.evaluation.turing_report import print_report
from deepchorale.evaluation.turing_test import TuringSettings, turing_report
from deepchorale.judge.scoring import judge_probabilities
from deepchorale.models.weights import load_model


def stage_figures(stages: dict[str, list[tuple[str, Chorale]]], judge_path: str, cache: str) -> dict:
    """Per stage: the evaluation judge's median and mean (100 P(Bach)), parallels per transition
    (fifths and octaves), and the share of pieces with every voice's mean pitch inside the p5-p95
    of the Bach test split's per-piece means."""
    judge = load_model(judge_path, kind="judge")
    register = VoiceMeanBands.of([compute_metrics(chorale) for chorale in bach_split("test", cache)])
    figures = {}
    for stage, pieces in stages.items():
        scores = 100.0 * np.asarray(judge_probabilities(judge, [piece for _, piece in pieces]))
        rows = [compute_metrics(piece) for _, piece in pieces]
        figures[stage] = {
            "judge_median": float(np.median(scores)),
            "judge_mean": float(np.mean(scores)),
            "parallels": float(np.mean([row["parallel_fifths"] + row["parallel_octaves"] for row in rows])),
            "every_voice_mean_inside_bach_p5_p95": register.share(rows),
        }
    return figures


def save_pieces(stages: dict[str, list[tuple[str, Chorale]]], record: dict, folder: Path) -> None:
    """Each stage's pieces as `folder/<stage>.npz`, in order, and `record` (the overrides they were
    harmonised with and the seconds it took) as `folder/pieces.json`."""
    folder.mkdir(parents=True, exist_ok=True)
    for stage, pieces in stages.items():
        save_corpus(Corpus([piece for _, piece in pieces], skipped={}), folder / f"{stage}.npz")
    write_json(folder / "pieces.json", {"stages": list(stages), **record})


def load_pieces(folder: Path, bach: list[Chorale], seeds: list[int]):
    """What `save_pieces` wrote, checked against the chorales and seeds of this run: ({stage:
    [(source chorale id, piece), ...]}, the record saved with them)."""
    try:
        record = json.loads((folder / "pieces.json").read_text())
        stages = {stage: load_corpus(folder / f"{stage}.npz").chorales for stage in record.pop("stages")}
    except (OSError, ValueError, KeyError) as error:
        raise SystemExit(f"--reuse: no pieces readable in {folder} ({error})") from error
    for stage, pieces in stages.items():
        if [piece.id for piece in pieces] != [piece_id(c.id, stage, seed) for c in bach for seed in seeds]:
            raise SystemExit(f"--reuse: {folder}'s {stage} pieces are not these chorales and seeds")
    sources = [chorale.id for chorale in bach for _ in seeds]
    return {stage: list(zip(sources, pieces)) for stage, pieces in stages.items()}, record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chorales", type=int, default=12, help="chorales harmonised, the split's first")
    parser.add_argument("--split", choices=["test", "val"], default="test", help="val: for choosing settings")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="compose seeds per soprano")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0, help="the discriminators' and the control's")
    parser.add_argument("--out", default="benchmarks/results/turing_test.json")
    parser.add_argument("--pieces", help="keep every stage's pieces in this folder")
    parser.add_argument("--reuse", action="store_true", help="discriminate the pieces in --pieces again")
    parser.add_argument("overrides", nargs="*", help="compose config overrides, e.g. embellish.enabled=false")
    args = parser.parse_args()
    if args.reuse and args.pieces is None:
        parser.error("--reuse needs --pieces DIR")
    cache = os.environ.get("DEEPCHORALE_CACHE", ".cache/deepchorale")
    split = bach_split(args.split, cache)
    bach = split[: args.chorales]
    settings = TuringSettings(folds=args.folds, bootstrap_resamples=args.bootstrap, seed=args.seed)

    if args.reuse:
        stages, record = load_pieces(Path(args.pieces), bach, args.seeds)
        if args.overrides and args.overrides != record["overrides"]:
            parser.error(f"--reuse: {args.pieces}'s pieces were harmonised with {record['overrides']}")
        args.overrides = record["overrides"]
        cfg = compose_config(args.overrides)
        harmonising, stage_seconds = record["harmonise"], record["per_stage"]
    else:
        start = time.perf_counter()
        cfg = compose_config(args.overrides)
        stages, stage_seconds = harmonise_sopranos(
            bach, cfg, args.seeds, progress=lambda line: print(line, flush=True)
        )
        harmonising = time.perf_counter() - start
        if args.pieces is not None:
            record = {"overrides": args.overrides, "harmonise": harmonising, "per_stage": stage_seconds}
            save_pieces(stages, record, Path(args.pieces))
    start = time.perf_counter()
    report = turing_report(bach, stages, settings, control=split)  # the control: the whole split
    discriminating = time.perf_counter() - start
    figures = stage_figures(stages, cfg.judge, cache)

    machine = {
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average": os.getloadavg(),
    }
    result = {
        "benchmark": "turing_test",
        "arguments": vars(args),
        "machine": machine,
        "chorales": [chorale.id for chorale in bach],
        "seeds": args.seeds,
        "seconds": {"harmonise": harmonising, "per_stage": stage_seconds, "discriminate": discriminating},
        **report,
        "figures": figures,
    }
    write_json(Path(args.out), clean(result))
    print_report(report)
    for stage, values in figures.items():
        print(stage, ", ".join(f"{name} {value:.4g}" for name, value in values.items()))
    print(json.dumps(clean(result["seconds"]), indent=2))
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
