"""How close the tracks users get are to Bach: voice leading, harmony and judge, against Bach's own.

    .venv/bin/python benchmarks/music_quality.py [--seeds 3] [--melodies tune.mid ...]
        [--held-out-judge judge.pt] [--out benchmarks/results/music_quality.json] [compose overrides ...]

Composes every built-in tune (and any MIDI melodies given) with `seeds` seeds through the real
CLI, `deepchorale compose -m`, at its defaults plus the overrides given, then reads back the MIDI
files compose wrote, so it measures exactly what a user gets (embellishment, ornaments, MIDI
rounding included). Each track and each piece of the Bach test split go through the same figures:
parallel fifths and octaves per chord transition, triad/seventh share, voice crossing, spacing,
range, final cadence (`evaluation.metrics`) and the shipped judge's score. It prints a table and
writes JSON: per track, per stage (from each run's results.json), aggregates (median, p10, p90,
max), and the issue's targets checked against Bach's p10-p90 measured in the same run.

compose's critic is the shipped judge (it picks candidates and guides the revision), so the shipped
judge's score of the tracks is also what was optimised. `--held-out-judge` scores everything with a
second judge as well (`held_out_judge_score`), e.g. the judge shipped before ours was retrained on
composed negatives: `git show 25d041a:evaluation/judge/weights.pt > judge_25d041a.pt`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from deepchorale.compose.tunes import BUILTIN_MELODIES
from deepchorale.data.chorale import Chorale
from deepchorale.data.convert import from_midi
from deepchorale.evaluation.metrics import compute_metrics
from deepchorale.evaluation.reference import bach_split
from deepchorale.judge.scoring import judge_probabilities
from deepchorale.models.weights import load_model
from deepchorale.resolvers import project_root

FIGURES = (
    "parallels",
    "triad_or_seventh_rate",
    "voice_crossing_rate",
    "spacing_violation_rate",
    "range_violation_rate",
    "final_cadence_on_tonic",
    "judge_score",
)


def figures(chorales: list[Chorale], judge, held_out_judge=None) -> list[dict[str, float]]:
    """The benchmark's figures for each piece; `parallels` = parallel fifths + octaves per transition."""
    judged = 100.0 * judge_probabilities(judge, chorales)
    held_out = 100.0 * judge_probabilities(held_out_judge, chorales) if held_out_judge is not None else None
    rows = []
    for index, chorale in enumerate(chorales):
        metrics = compute_metrics(chorale)
        row = {name: metrics[name] for name in FIGURES if name in metrics}
        row["parallels"] = metrics["parallel_fifths"] + metrics["parallel_octaves"]
        row["judge_score"] = float(judged[index])
        if held_out is not None:
            row["held_out_judge_score"] = float(held_out[index])
        rows.append(row)
    return rows


def aggregate(rows: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    summary = {}
    for name in (n for n in (*FIGURES, "held_out_judge_score") if n in rows[0]):
        values = np.array([row[name] for row in rows], float)
        values = values[np.isfinite(values)]
        summary[name] = {
            "median": float(np.median(values)),
            "p10": float(np.percentile(values, 10)),
            "p25": float(np.percentile(values, 25)),
            "p90": float(np.percentile(values, 90)),
            "max": float(values.max()),
        }
    return summary


def compose_tracks(melodies: list[str], seeds: int, overrides: list[str], sweep_dir: Path) -> list[Path]:
    """Run compose as a user would; the job directories, in job order."""
    command = [
        str(Path(sys.executable).parent / "deepchorale"),
        "compose",
        "-m",
        f"melody={','.join(melodies)}",
        f"seed={','.join(str(s) for s in range(seeds))}",
        f"hydra.sweep.dir={sweep_dir}",
        *overrides,
    ]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return sorted((p for p in sweep_dir.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))


def criteria(ours: dict, bach: dict) -> dict[str, bool]:
    """Issue #10's targets, each against Bach's spread measured in this run."""
    return {
        "median_parallels_within_bach_p90": ours["parallels"]["median"] <= bach["parallels"]["p90"],
        "median_parallels_at_most_0.024": ours["parallels"]["median"] <= 0.024,
        "no_track_parallels_above_0.04": ours["parallels"]["max"] <= 0.04,
        "median_triads_within_bach_p10_p90": bach["triad_or_seventh_rate"]["p10"]
        <= ours["triad_or_seventh_rate"]["median"]
        <= bach["triad_or_seventh_rate"]["p90"],
        "median_triads_at_least_0.84": ours["triad_or_seventh_rate"]["median"] >= 0.84,
        "median_judge_at_least_bach_p25": ours["judge_score"]["median"] >= bach["judge_score"]["p25"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--melodies", nargs="*", default=[], help="MIDI melodies besides the built-ins")
    parser.add_argument("--held-out-judge", type=Path, help="a second judge's weights file")
    parser.add_argument("--out", default="benchmarks/results/music_quality.json")
    parser.add_argument("overrides", nargs="*", help="compose overrides, e.g. harmonize.candidates=1")
    args = parser.parse_args()
    melodies = sorted(BUILTIN_MELODIES) + [str(Path(m).resolve()) for m in args.melodies]
    judge = load_model(Path(project_root()) / "evaluation" / "judge" / "weights.pt")
    held_out_judge = load_model(args.held_out_judge) if args.held_out_judge else None
    with tempfile.TemporaryDirectory(prefix="music_quality_") as folder:
        jobs = compose_tracks(melodies, args.seeds, args.overrides, Path(folder))
        results = [json.loads((job / "results.json").read_text()) for job in jobs]
        tracks = [from_midi(next(job.glob("*/*.mid"))) for job in jobs]
    rows = [
        {"melody": r["melody"], "seed": r["seed"], "seconds": r["duration_seconds"], **row}
        for r, row in zip(results, figures(tracks, judge, held_out_judge))
    ]
    bach_rows = figures(bach_split("test", os.environ.get("DEEPCHORALE_CACHE")), judge, held_out_judge)
    ours, bach = aggregate(rows), aggregate(bach_rows)
    result = {
        "benchmark": "music_quality",
        "command": " ".join(["benchmarks/music_quality.py", *sys.argv[1:]]),
        "machine": {"cpus": len(os.sched_getaffinity(0)), "load_average": os.getloadavg()},
        "melodies": [Path(m).stem for m in melodies],
        "seeds": args.seeds,
        "overrides": args.overrides,
        "tracks": rows,
        "stages": [{"melody": r["melody"], "seed": r["seed"], **r.get("stage_metrics", {})} for r in results],
        "compose_seconds_median": float(np.median([sum(r["stage_seconds"].values()) for r in results])),
        "ours": ours,
        "bach_test_split": bach,
        "per_melody_median": {
            melody: {
                name: float(np.median([row[name] for row in rows if row["melody"] == melody]))
                for name in ours
            }
            for melody in dict.fromkeys(row["melody"] for row in rows)
        },
        "criteria": criteria(ours, bach),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'figure':<24}{'ours median (p10-p90, max)':<34}{'Bach test median (p10-p90)'}")
    for name in ours:
        o, b = ours[name], bach[name]
        print(
            f"{name:<24}{o['median']:.3f} ({o['p10']:.3f}-{o['p90']:.3f}, {o['max']:.3f})".ljust(58)
            + f"{b['median']:.3f} ({b['p10']:.3f}-{b['p90']:.3f})"
        )
    print(json.dumps(result["criteria"], indent=2))


if __name__ == "__main__":
    main()
