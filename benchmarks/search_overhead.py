"""What a search adds to each trial, as a share of the trial's own time, for 1 and 2 workers.

    .venv/bin/python benchmarks/search_overhead.py [--trials 3] [--out ...]

Runs `deepchorale search hparams_search=coconet_debug` (a tiny Coconet, no pruning here so that
every trial reports its own time) with one worker, then with two worker processes on one journal
study. Per trial, from each worker's results.json and the trial's own results.json:
- sampler + storage: `study.ask()` with the suggestions, plus `study.tell()` (journal file, lock);
- launch: the trial process's wall time less the task's own fit + test time (`seconds` in its
  results.json): a fresh interpreter, imports, config composition, data and model set-up;
- own: that fit + test time, the peer every overhead is divided by.
The imports alone (`import deepchorale.apps.train` in a fresh interpreter) are timed in the same
run, since they are most of the launch and any trial process pays them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEARCH = [
    "hparams_search=coconet_debug",
    "search.pruning_metric=null",
    "search.enqueue=[]",
    "search.params={model.optimizer.lr:{high:0.01}}",  # sound rates only: no trial diverges
]


def run_workers(workers: int, trials: int, study_dir: Path) -> list[dict]:
    command = [sys.executable, "-m", "deepchorale.cli", "search", *SEARCH, f"search.n_trials={trials}",
               f"search.study_dir={study_dir}"]  # fmt: skip
    processes = [
        subprocess.Popen([*command, f"search.worker={i}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for i in range(workers)
    ]
    for process in processes:
        _, error = process.communicate()
        if process.returncode:
            raise SystemExit(f"search_overhead: a worker failed: {error.decode()[-2000:]}")
    rows = []
    for path in study_dir.glob("workers/*/results.json"):
        for trial in json.loads(path.read_text())["trials"]:
            trial_results = study_dir / "trials" / str(trial["number"]) / "results.json"
            own = json.loads(trial_results.read_text())["seconds"]
            seconds = trial["seconds"]
            rows.append({"number": trial["number"], "sampler_storage": seconds["ask"] + seconds["tell"],
                         "launch": seconds["process"] - own, "own": own})  # fmt: skip
    return rows


def summary(rows: list[dict]) -> dict:
    own = statistics.mean(r["own"] for r in rows)
    sampler = statistics.mean(r["sampler_storage"] for r in rows)
    launch = statistics.mean(r["launch"] for r in rows)
    return {
        "trials": len(rows),
        "own_seconds": own,
        "sampler_storage_seconds": sampler,
        "launch_seconds": launch,
        "sampler_storage_share": sampler / own,
        "launch_share": launch / own,
        "overhead_share": (sampler + launch) / own,
        "per_trial": sorted(rows, key=lambda r: r["number"]),
    }


def import_seconds() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import deepchorale.apps.train"], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=3, help="trials per worker")
    parser.add_argument("--out", default="benchmarks/results/search_overhead.json")
    args = parser.parse_args()
    os.environ.setdefault("DEEPCHORALE_CACHE", str(Path(".cache/deepchorale").resolve()))
    result = {"trial": "hparams_search=coconet_debug (tiny Coconet, 3 epochs of 2 batches, W&B offline)",
              "cpus": os.cpu_count(), "imports_seconds": import_seconds()}  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        for workers in (1, 2):
            rows = run_workers(workers, workers * args.trials, Path(folder) / f"workers{workers}")
            result[f"workers_{workers}"] = summary(rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if not isinstance(v, dict)}, indent=2))
    for workers in (1, 2):
        s = result[f"workers_{workers}"]
        print(f"{workers} worker(s): own {s['own_seconds']:.1f} s/trial, "
              f"sampler+storage {100 * s['sampler_storage_share']:.2f} %, "
              f"launch {100 * s['launch_share']:.0f} %")  # fmt: skip


if __name__ == "__main__":
    main()
