"""Seconds to compose a track beside busy processes: quiet, one and two busy neighbours, in one run.

    .venv/bin/python benchmarks/compose_under_load.py [--seconds 30] [--out ...] [override ...]

Each case is `deepchorale compose` in its own process, as a user runs it, so its threads are the
CLI's (`deepchorale.cpu_threads`: one per usable core, waiting passively). A neighbour is a Python
busy loop, started a second before compose and stopped after it. The figures are each case's wall
time and model stages (harmonize, revise, embellish, as compose prints them), and their ratios to
the quiet case, run first and last (its drift says how steady the rest of the machine was). The
peer is the loaded cases with OpenMP's default waiting (idle threads spin before they sleep), which
`OMP_WAIT_POLICY=` (set, but to nothing OpenMP reads) keeps: the ratios say what passive waiting
buys. The goal (issue #26): at most 2x the quiet time with one busy neighbour, 3.5x with two.
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

MODEL_STAGES = ("harmonize", "revise", "embellish")
GOALS = {1: 2.0, 2: 3.5}  # the slowest wall time allowed, as a multiple of the quiet one


def busy_neighbours(count: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def compose(overrides: list[str], environ: dict[str, str], neighbours: int) -> dict:
    """One `deepchorale compose` run beside `neighbours` busy loops: its wall time and stage times."""
    others = busy_neighbours(neighbours)
    try:
        time.sleep(1.0 if others else 0.0)  # the neighbours at full speed before compose starts
        with tempfile.TemporaryDirectory() as folder:
            command = [sys.executable, "-m", "deepchorale", "compose", f"hydra.run.dir={folder}", *overrides]
            start = time.perf_counter()
            done = subprocess.run(command, env=environ, capture_output=True, text=True, check=True)
            wall = time.perf_counter() - start
    finally:
        for other in others:
            other.kill()
            other.wait()
    stages = {m[1]: float(m[2]) for m in re.finditer(r"^(\w+): ([\d.]+) s$", done.stdout, re.MULTILINE)}
    return {"wall_seconds": wall, "stage_seconds": stages, "model_seconds": model_seconds(stages)}


def model_seconds(stages: dict[str, float]) -> float:
    return sum(stages.get(stage, 0.0) for stage in MODEL_STAGES)


def ratios(case: dict, quiet: dict) -> dict:
    return {
        "wall": case["wall_seconds"] / quiet["wall_seconds"],
        "model_stages": case["model_seconds"] / quiet["model_seconds"],
    }


def mean_of(cases: list[dict]) -> dict:
    return {key: sum(case[key] for case in cases) / len(cases) for key in ("wall_seconds", "model_seconds")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="the track's target length")
    parser.add_argument("--out", default="benchmarks/results/compose_under_load.json")
    parser.add_argument("--notes", default="", help="what a reader of the figures must know, e.g. other load")
    parser.add_argument("overrides", nargs="*", help="compose config overrides, e.g. debug=compose")
    args = parser.parse_args()
    overrides = [f"duration.target_seconds={args.seconds}", *args.overrides]
    fitted = {key: value for key, value in os.environ.items() if not key.startswith("OMP_")}
    spinning = {**fitted, "OMP_WAIT_POLICY": ""}

    load_before = os.getloadavg()
    cases = {"quiet": compose(overrides, fitted, 0)}
    for neighbours in GOALS:
        cases[f"{neighbours}_busy"] = compose(overrides, fitted, neighbours)
        cases[f"{neighbours}_busy_spinning_peer"] = compose(overrides, spinning, neighbours)
    # Quiet again at the end: the reference is the mean of both, and their ratio shows how much the
    # rest of the machine's load drifted meanwhile.
    cases["quiet_after"] = compose(overrides, fitted, 0)
    quiet = mean_of([cases["quiet"], cases["quiet_after"]])
    loaded = {name: case for name, case in cases.items() if not name.startswith("quiet")}
    result = {
        "benchmark": "compose_under_load",
        "machine": {
            "cpus": os.cpu_count(),
            "usable_cpus": len(os.sched_getaffinity(0)),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
        "overrides": overrides,
        "notes": args.notes,
        "cases": cases,
        "quiet_drift": ratios(cases["quiet_after"], cases["quiet"]),
        "ratios_to_quiet": {name: ratios(case, quiet) for name, case in loaded.items()},
        "goals_wall_ratio": {f"{neighbours}_busy": goal for neighbours, goal in GOALS.items()},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
