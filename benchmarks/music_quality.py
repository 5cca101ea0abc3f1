"""How close the tracks users get are to Bach, on melodies nobody tuned on, by two judges and every figure.

    .venv/bin/python benchmarks/music_quality.py [--seeds 3] [--groups builtin bach folk]
        [--sweep-dir DIR [--reuse]] [--out benchmarks/results/music_quality.json] [compose overrides ...]

Composes the five built-in tunes and the fixed melody suite (`evaluation/melodies/`, written by
`benchmarks/melody_suite.py`: 10 sopranos of the Bach test split, 12 German folk tunes) with
`seeds` seeds each through the real CLI, `deepchorale compose -m`, at its defaults plus the
overrides given, and reads back the MIDI files compose wrote: it measures what a user gets. The
groups are reported apart, because earlier work tuned compose's settings on the built-ins.

Each track and each chorale of the Bach test split go through the same figures, measured in this
run: both judges, side by side (P(Bach) x 100), and neither of them is the grade:
- `judge_score`: the evaluation judge (`paths.judge`, evaluation/judge/), which compose never
  consults and which hears register and each voice's articulation;
- `critic_score`: compose's critic (`paths.critic`, experiments/pretrained/critic/), which picked
  each stage's candidate and guided the revision: this score is what compose optimised;
and the figures of `compute_metrics` below (voice leading, harmony, register, texture, rhythm).
Per figure: our median and p10-p90 beside Bach's, the share of our tracks inside Bach's p10-p90
(Bach's own is about 80 % by construction), and each group's median; per stage (harmonize,
revise, embellish, ornament) both judges' scores from each run's `stage_metrics`. The only
targets are Bach's band: parallels (fifths + octaves per transition) and triad/seventh share.
`--sweep-dir` keeps compose's runs; `--reuse` measures the runs already there again.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from deepchorale.compose.tunes import BUILTIN_MELODIES
from deepchorale.data.chorale import Chorale
from deepchorale.data.convert import from_midi
from deepchorale.evaluation.metrics import compute_metrics
from deepchorale.evaluation.reference import bach_split, read_reference, reference_values
from deepchorale.evaluation.register_target import VoiceMeanBands
from deepchorale.judge.scoring import judge_probabilities
from deepchorale.models.weights import load_model
from deepchorale.resolvers import project_root

ROOT = Path(project_root())
SUITE = ROOT / "evaluation" / "melodies"
JUDGES = {  # results key: the weights compose's config names (conf/paths/default.yaml)
    "judge_score": ROOT / "evaluation" / "judge" / "weights.pt",
    "critic_score": ROOT / "experiments" / "pretrained" / "critic" / "weights.pt",
}
VOICES = ("soprano", "alto", "tenor", "bass")
METRICS = (  # compute_metrics keys, in the order the table shows them
    "parallels",  # parallel_fifths + parallel_octaves per chord transition
    "triad_or_seventh_rate", "non_chord_tone_rate", "major_triad_rate",
    *(f"triad_inversion/{k}" for k in ("root", "first", "second")),
    *(f"triad_doubling/{k}" for k in ("root", "third", "fifth")),
    "voice_crossing_rate", "spacing_violation_rate", "range_violation_rate",
    *(f"mean_pitch/{v}" for v in (*VOICES, "all")),
    *(f"register_outlier_rate/{v}" for v in (*VOICES, "all")),
    *(f"voice_spacing/{p}" for p in ("soprano_alto", "alto_tenor", "tenor_bass", "soprano_bass")),
    *(f"repeated_note_rate/{v}" for v in (*VOICES, "all")),
    *(f"outer_voice_motion/{k}" for k in ("contrary", "similar", "parallel", "oblique")),
    *(f"note_length_share/{v}_{k}" for v in VOICES for k in ("sixteenth", "eighth", "quarter", "half")),
    "final_cadence_on_tonic",
)  # fmt: skip
FIGURES = (*JUDGES, *METRICS)
STAGES = ("harmonize", "revise", "embellish", "ornament")
GROUPS = {"builtin": "built-in tunes (tuned on)", "bach": "Bach test sopranos", "folk": "German folk tunes"}


def suite_melodies(groups: list[str]) -> dict[str, tuple[str, str]]:
    """melody name (as results.json says it) -> its group and the `melody=` value that composes it."""
    melodies = {name: ("builtin", name) for name in sorted(BUILTIN_MELODIES)}
    for entry in json.loads((SUITE / "manifest.json").read_text())["melodies"]:
        group = {"bach_test_soprano": "bach", "folk": "folk"}[entry["group"]]
        melodies[Path(entry["file"]).stem] = (group, str(SUITE / entry["file"]))
    return {name: source for name, source in melodies.items() if source[0] in groups}


def compose_tracks(sources: list[str], seeds: int, overrides: list[str], sweep_dir: Path) -> None:
    """Run compose as a user would: one job directory per melody and seed in `sweep_dir`."""
    command = [
        str(Path(sys.executable).parent / "deepchorale"),
        "compose",
        "-m",
        f"melody={','.join(sources)}",
        f"seed={','.join(str(s) for s in range(seeds))}",
        f"hydra.sweep.dir={sweep_dir}",
        *overrides,
    ]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def jobs_in(sweep_dir: Path) -> list[Path]:
    return sorted((p for p in sweep_dir.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))


def figures(chorales: list[Chorale], judges: dict) -> list[dict[str, float]]:
    """Every figure of every piece (NaN where a metric is undefined for the piece)."""
    scores = {key: 100.0 * judge_probabilities(judge, chorales) for key, judge in judges.items()}
    rows = []
    for index, chorale in enumerate(chorales):
        metrics = compute_metrics(chorale)
        metrics["parallels"] = metrics["parallel_fifths"] + metrics["parallel_octaves"]
        row = {key: float(values[index]) for key, values in scores.items()}
        rows.append({**row, **{name: float(metrics.get(name, np.nan)) for name in METRICS}})
    return rows


def columns(rows: list[dict]) -> dict:
    """Rows of equal keys as one table: {"columns": [...], "rows": [[...], ...]}."""
    return {"columns": list(rows[0]), "rows": [list(row.values()) for row in rows]}


def as_json(value) -> str:
    """Strict JSON (NaN as null), floats to 4 decimals, each list of plain values on one line."""

    def plain(value):
        if isinstance(value, dict):
            return {key: plain(v) for key, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, float):
            return round(value, 4) if np.isfinite(value) else None
        return value

    def one_line(match: re.Match) -> str:
        return "[" + " ".join(line.strip() for line in match[1].split("\n")) + "]"

    return re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", one_line, json.dumps(plain(value), indent=2)) + "\n"


def spread(values) -> dict[str, float] | None:
    """Median and p10-p90 of the defined values (None if there are none)."""
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    if not values.size:
        return None
    p10, median, p90 = np.percentile(values, [10, 50, 90])
    return {"median": float(median), "p10": float(p10), "p90": float(p90), "n": int(values.size)}


def inside(values, band: dict) -> float:
    """Share of the defined values within the band's p10-p90."""
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    return float(np.mean((values >= band["p10"]) & (values <= band["p90"]))) if values.size else float("nan")


def by_group(rows: list[dict], name: str) -> dict[str, list[float]]:
    groups: dict[str, list[float]] = {}
    for row in rows:
        groups.setdefault(row["group"], []).append(row[name])
    return groups


def compare(rows: list[dict], bach_rows: list[dict]) -> dict[str, dict]:
    """Per figure: ours (all tracks and per group) beside Bach's, and the share inside Bach's band."""
    table = {}
    for name in FIGURES:
        bach = spread([row[name] for row in bach_rows])
        ours = [row[name] for row in rows]
        table[name] = {
            "ours": spread(ours),
            "bach": bach,
            "inside_bach_p10_p90": inside(ours, bach),
            "bach_inside_own_p10_p90": inside([row[name] for row in bach_rows], bach),
            "groups": {group: {**(spread(values) or {}), "inside_bach_p10_p90": inside(values, bach)}
                       for group, values in by_group(rows, name).items()},
        }  # fmt: skip
    return table


def per_stage(results: list[dict], groups: list[str]) -> dict[str, dict]:
    """Each stage's judge and critic scores (results.json `stage_metrics`), all tracks and per group;
    stages no track ran (embellish is off by default) are left out."""
    table = {}
    for stage in STAGES:
        if not any(stage in r.get("stage_metrics", {}) for r in results):
            continue
        table[stage] = {}
        for key in JUDGES:
            values = [r["stage_metrics"][stage][key] for r in results if stage in r.get("stage_metrics", {})]
            table[stage][key] = spread(values)
            table[stage][key]["groups"] = {
                group: spread([r["stage_metrics"][stage][key] for r, g in zip(results, groups) if g == group])
                for group in dict.fromkeys(groups)
            }
    return table


def targets(
    table: dict, rows: list[dict], bach_rows: list[dict], bach_validation: list[Chorale]
) -> dict[str, bool | float]:
    """Bach's band, measured in this run, for the figures issues #10 and #23 set targets on. The
    register target is also read on Bach's validation chorales, the same test applied to pieces
    of his that did not set the band: how often Bach himself meets it."""
    parallels, triads, judge = table["parallels"], table["triad_or_seventh_rate"], table["judge_score"]
    register = VoiceMeanBands.of(bach_rows)
    share_registered = register.share(rows)
    outside = table["register_outlier_rate/all"]["ours"]["median"]
    return {
        "median_parallels_within_bach_p10_p90": parallels["bach"]["p10"]
        <= parallels["ours"]["median"]
        <= parallels["bach"]["p90"],
        "median_triads_within_bach_p10_p90": triads["bach"]["p10"]
        <= triads["ours"]["median"]
        <= triads["bach"]["p90"],
        "share_of_tracks_with_every_voice_mean_inside_bach_p5_p95": share_registered,
        "every_voice_mean_inside_bach_p5_p95_in_90_percent_of_tracks": share_registered >= 0.9,
        "share_of_bach_validation_chorales_with_every_voice_mean_inside_bach_p5_p95": register.share(
            [compute_metrics(chorale) for chorale in bach_validation]
        ),
        "median_share_of_notes_outside_bach_registers": outside,
        "median_outside_registers_at_most_3_6_percent": bool(outside <= 0.036),
        "bach_judge_p25": float(np.percentile([row["judge_score"] for row in bach_rows], 25)),
        "judge_median_at_least_bach_p25": bool(
            judge["ours"]["median"] >= np.percentile([row["judge_score"] for row in bach_rows], 25)
        ),
    }


def print_tables(table: dict, stages: dict, groups: list[str]) -> None:
    heads = "".join(f"{group:>10}" for group in groups)
    print(f"{'figure':<34}{'ours median (p10-p90)':<26}{'Bach median (p10-p90)':<26}{'inside':>7}{heads}")
    for name, entry in table.items():
        o, b = entry["ours"], entry["bach"]
        if o is None or b is None:
            continue
        medians = "".join(f"{entry['groups'].get(g, {}).get('median', np.nan):>10.3f}" for g in groups)
        print(
            f"{name:<34}{o['median']:.3f} ({o['p10']:.3f}-{o['p90']:.3f})".ljust(60)
            + f"{b['median']:.3f} ({b['p10']:.3f}-{b['p90']:.3f})".ljust(26)
            + f"{100 * entry['inside_bach_p10_p90']:>6.0f}%{medians}"
        )
    print(f"\n{'stage':<12}{'judge median (p10-p90)':<28}{'critic median (p10-p90)':<28}")
    for stage, scores in stages.items():
        cells = [f"{s['median']:.1f} ({s['p10']:.1f}-{s['p90']:.1f})" for s in scores.values()]
        print(f"{stage:<12}" + "".join(f"{cell:<28}" for cell in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--groups", nargs="+", default=list(GROUPS), choices=list(GROUPS))
    parser.add_argument("--sweep-dir", type=Path, help="where compose runs (default: a temporary folder)")
    parser.add_argument("--reuse", action="store_true", help="read the runs already in --sweep-dir")
    parser.add_argument("--out", default="benchmarks/results/music_quality.json")
    parser.add_argument("overrides", nargs="*", help="compose overrides, e.g. harmonize.candidates=1")
    args = parser.parse_args()
    if args.reuse and not args.sweep_dir:
        parser.error("--reuse reads the runs of --sweep-dir: name it")
    melodies = suite_melodies(args.groups)
    judges = {key: load_model(path, kind="judge") for key, path in JUDGES.items()}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="music_quality_") as folder:
        sweep_dir = args.sweep_dir or Path(folder)
        if not args.reuse:
            compose_tracks([source for _, source in melodies.values()], args.seeds, args.overrides, sweep_dir)
        jobs = jobs_in(sweep_dir)
        results = [json.loads((job / "results.json").read_text()) for job in jobs]
        tracks = [from_midi(next(job.glob("*/*.mid"))) for job in jobs]
    wall = time.perf_counter() - start
    groups = [melodies[r["melody"]][0] for r in results]
    rows = [
        {"melody": r["melody"], "group": group, "seed": r["seed"], "duration": r["duration_seconds"], **row}
        for r, group, row in zip(results, groups, figures(tracks, judges))
    ]
    bach_chorales = bach_split("test", os.environ.get("DEEPCHORALE_CACHE"))
    bach_rows = figures(bach_chorales, judges)
    committed = reference_values(read_reference())  # the same metrics, as evaluation/reference holds them
    order = np.argsort([c.id for c in bach_chorales])
    gap = max(
        abs(bach_rows[i][name] - value)
        for name in METRICS
        if name in committed
        for i, value in zip(order, committed[name])
        if value is not None
    )
    table, stages = compare(rows, bach_rows), per_stage(results, groups)
    result = {
        "benchmark": "music_quality",
        "command": " ".join(["benchmarks/music_quality.py", *sys.argv[1:]]),
        "machine": {"cpus": len(os.sched_getaffinity(0)), "load_average": os.getloadavg()},
        "groups": {group: GROUPS[group] for group in args.groups},
        "melodies": {name: group for name, (group, _) in melodies.items()},
        "seeds": args.seeds,
        "overrides": args.overrides,
        "judges": {key: str(path.relative_to(ROOT)) for key, path in JUDGES.items()},
        "tracks_composed": len(rows),
        "wall_seconds": None if args.reuse else wall,  # composing and scoring
        "compose_seconds": spread([sum(r["stage_seconds"].values()) for r in results]),  # per track
        "bach_test_chorales": len(bach_rows),
        "bach_metrics_max_gap_to_committed_reference": gap,
        "figures": table,
        "stages": stages,
        "targets": targets(table, rows, bach_rows, bach_split("val", os.environ.get("DEEPCHORALE_CACHE"))),
        "tracks": columns(rows),
        "bach_test_split": columns([{"id": c.id, **row} for c, row in zip(bach_chorales, bach_rows)]),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(as_json(result))
    print(f"{len(rows)} tracks, {wall / 60:.1f} min; Bach test split: {len(bach_rows)} chorales")
    print_tables(table, stages, list(dict.fromkeys(groups)))
    print(json.dumps(result["targets"], indent=2))


if __name__ == "__main__":
    main()
