"""Seconds until the CLI answers: `--help` of every app, tab completion, a mistyped override, and
compose's first stage, beside a bare `python -c pass` and `python -c "import torch"`, in one run.

    .venv/bin/python benchmarks/startup.py [--repeats 5] [--out ...]

Each case is a fresh process, timed from start to exit (compose: to its first stage's line); the
cases take turns, `--repeats` rounds, and the medians are reported, with each case's seconds over the
bare interpreter's. `python -X importtime` says where the time of `compose --help` and of
compose's work goes (the modules imported first-hand, by cumulative time). The goal (issue #26):
`--help` within 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from deepchorale.apps import APPS

CLI = [sys.executable, "-m", "deepchorale"]
COMPLETION_LINE = "deepchorale compose embellish."
HELP_GOAL_SECONDS = 1.0
STAGE_LINE = re.compile(r"^\w+: [\d.]+ s$")  # compose's report of a finished stage


def cases() -> dict[str, tuple[list[str], dict[str, str]]]:
    """name -> (command, extra environment)."""
    completion = {"COMP_LINE": COMPLETION_LINE, "COMP_POINT": str(len(COMPLETION_LINE))}
    return {
        "python -c pass": ([sys.executable, "-c", "pass"], {}),
        "python -c 'import torch'": ([sys.executable, "-c", "import torch"], {}),
        **{f"{app} --help": ([*CLI, app, "--help"], {}) for app in APPS},
        "compose <Tab> completion": ([*CLI, "-sc", "query=bash"], completion),
        "compose mistyped override": ([*CLI, "compose", "no_such_setting=1"], {}),
    }


def seconds_to_exit(command: list[str], extra: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env={**os.environ, **extra}, capture_output=True)
    return time.perf_counter() - start


def seconds_to_first_stage() -> float:
    """From `deepchorale compose` starting to its first stage's line (then it is stopped)."""
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        command = [*CLI, "compose", f"hydra.run.dir={folder}"]
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as run:
            for line in run.stdout:
                if STAGE_LINE.match(line.strip()):
                    seconds = time.perf_counter() - start
                    run.kill()
                    return seconds
    raise RuntimeError("compose ended before its first stage")


def first_hand_imports(code: list[str], top: int = 10) -> dict[str, float]:
    """The modules that `python -X importtime <code>` imports first-hand, slowest first: seconds each,
    its own imports included."""
    done = subprocess.run([sys.executable, "-X", "importtime", *code], capture_output=True, text=True)
    imports = {}
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\s*)(\S+)", line)
        if found and not found[2]:  # not indented: imported by the code itself
            imports[found[3]] = int(found[1]) / 1e6
    return dict(sorted(imports.items(), key=lambda item: -item[1])[:top])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default="benchmarks/results/startup.json")
    parser.add_argument("--notes", default="", help="what a reader of the figures must know, e.g. other load")
    args = parser.parse_args()

    load_before = os.getloadavg()
    timed = {name: [] for name in cases()}
    first_stage = []
    for _ in range(args.repeats):  # in turns, so a busy moment of the machine hits every case alike
        for name, (command, extra) in cases().items():
            timed[name].append(seconds_to_exit(command, extra))
        first_stage.append(seconds_to_first_stage())
    medians = {name: statistics.median(seconds) for name, seconds in timed.items()}
    medians["compose, to its first stage"] = statistics.median(first_stage)
    bare = medians["python -c pass"]
    work = "import deepchorale.compose.pipeline, deepchorale.compose.export, deepchorale.models.weights"
    result = {
        "benchmark": "startup",
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
        "notes": args.notes,
        "repeats": args.repeats,
        "median_seconds": medians,
        "over_bare_python_seconds": {name: seconds - bare for name, seconds in medians.items()},
        "help_goal_seconds": HELP_GOAL_SECONDS,
        "slowest_help_seconds": max(seconds for name, seconds in medians.items() if name.endswith("--help")),
        "importtime_compose_help": first_hand_imports(["-m", "deepchorale", "compose", "--help"]),
        "importtime_compose_work": first_hand_imports(["-c", work]),
        "all_seconds": {**timed, "compose, to its first stage": first_stage},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
