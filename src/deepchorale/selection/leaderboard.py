"""Gather runs from disk and rank them: the leaderboard behind `deepchorale select`.

A run is a folder that Hydra ran an app in (it holds `.hydra/`) or that holds a `results.json`.
Every app started through `hydra_app` writes `results.json` there (`deepchorale.run_records`), so
any kind of run (compose, train, evaluate, search trials) can be ranked by a key of it. What is
not a run of its own:
- a `select` run and everything under it: its exported bundle holds a copy of another run's record;
- a `search` worker's own run folder (its results.json sums up its trials); the trials are runs.

A run counts as failed, listed but never ranked, when its results.json carries an `error` key, is
not valid JSON, or is missing from a Hydra run folder (the app stopped early or is still running).

Ranking. The criterion is a dotted key into results.json (`judge_score`, `metrics.parallel_fifths`,
`val/loss`, `test.test/nll_note`; read as search reads its objective), maximised or minimised.
Guard-rails are bands of real Bach (the p10-p90 of the reference test split,
`evaluation/reference/bach_test.json`) for metrics of `compute_metrics`: a high judge score with
Bach-implausible voice leading is worth less than a lower score inside every band, so runs that
break a rail rank after all those that break none.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from deepchorale.evaluation.reference import read_reference
from deepchorale.run_records import RESULTS, RecordError, as_number, figures, lookup, read_results

METRICS_KEY = "metrics"  # compose and evaluate keep `compute_metrics`'s figures under this key


class SelectionError(ValueError):
    """Input that select cannot work with (no runs, an unknown key): one line for the user."""


@dataclass
class Run:
    folder: Path
    results: dict | None  # None when the run failed
    failure: str | None = None  # why it failed
    overrides: list[str] = field(default_factory=list)  # the Hydra overrides it was started with


@dataclass(frozen=True)
class Rail:
    metric: str
    low: float
    high: float
    label: str = "Bach p10–p90"  # where the band comes from, for plots

    def breach(self, value: float) -> str | None:
        """A short note when `value` lies outside the band, else None."""
        if value < self.low:
            return f"{self.metric} {value:.3g} < {self.low:.3g}"
        if value > self.high:
            return f"{self.metric} {value:.3g} > {self.high:.3g}"
        return None


@dataclass
class Entry:
    """One row of the leaderboard."""

    run: Run
    name: str  # the run folder, relative to the folder all runs share
    status: str  # "ranked", "unscored" (no value for the criterion) or "failed"
    score: float | None = None
    rail_values: dict[str, float | None] = field(default_factory=dict)
    breaches: list[str] = field(default_factory=list)
    note: str = ""
    rank: int | None = None
    varied: str = ""  # the run's overrides that not every run shares: what sets it apart


def expand(patterns: str | list[str]) -> list[Path]:
    """Folders or results.json files named by paths or globs (`**` recurses)."""
    patterns = [patterns] if isinstance(patterns, str) else list(patterns)
    paths = []
    for pattern in patterns:
        matches = glob.glob(os.path.expanduser(pattern), recursive=True)
        if not matches:
            raise SelectionError(f"runs={pattern!r} matches no file or folder")
        paths += [Path(match).resolve() for match in sorted(matches)]
    return paths


def task_name(folder: Path) -> str | None:
    config = folder / "config.yaml"
    try:
        loaded = yaml.safe_load(config.read_text()) if config.is_file() else None
    except yaml.YAMLError:
        return None
    return loaded.get("task_name") if isinstance(loaded, dict) else None


def read_run(folder: Path) -> Run:
    overrides_file = folder / ".hydra" / "overrides.yaml"
    overrides = yaml.safe_load(overrides_file.read_text()) if overrides_file.is_file() else None
    run = Run(folder, None, overrides=[str(o) for o in overrides or []])
    try:
        results = read_results(folder)
    except FileNotFoundError:
        run.failure = f"no {RESULTS}: the run failed or has not finished"
        return run
    except RecordError as error:
        run.failure = str(error)
        return run
    if "error" in results:  # a failed multirun job's record (apps/runner.py)
        run.failure = f"error: {results['error']}"
    else:
        run.results = results
    return run


def find_runs(patterns: str | list[str]) -> list[Run]:
    """Every run under the named folders (recursively) or results.json files, each once."""
    candidates = set()
    for path in expand(patterns):
        if path.is_file():
            if path.name == RESULTS:
                candidates.add(path.parent)
            continue
        candidates |= {p.parent for p in path.rglob(RESULTS)}
        candidates |= {p.parent for p in path.rglob(".hydra") if p.is_dir()}
        if (path / ".hydra").is_dir():
            candidates.add(path)
    tasks = {folder: task_name(folder) for folder in candidates}
    selects = {folder for folder, task in tasks.items() if task == "select"}

    def inside(folder: Path, others) -> bool:
        return any(other != folder and folder.is_relative_to(other) for other in others)

    kept = [
        folder
        for folder in candidates
        if tasks[folder] not in ("select", "search") and not inside(folder, selects)
    ]
    if not kept:
        named = patterns if isinstance(patterns, str) else ", ".join(patterns)
        raise SelectionError(f"no runs found in {named} (no results.json or .hydra/ folder)")
    return [read_run(folder) for folder in sorted(kept)]


def guard_rails(
    metrics: list[str], percentiles: tuple[float, float], reference_path: str | Path
) -> list[Rail]:
    """Bands of real Bach for the named metrics of `compute_metrics`."""
    reference = read_reference(reference_path)["metrics"]
    rails = []
    for metric in metrics:
        if metric not in reference:
            raise SelectionError(
                f"guard-rail metric {metric!r} is not in the Bach reference; "
                f"choose from {', '.join(reference)}"
            )
        values = [v for v in reference[metric]["values"] if v is not None]
        low, high = np.percentile(values, percentiles)
        rails.append(Rail(metric, float(low), float(high), f"Bach p{percentiles[0]:g}–p{percentiles[1]:g}"))
    return rails


def rank(runs: list[Run], key: str, mode: str, rails: list[Rail]) -> list[Entry]:
    """The leaderboard: ranked runs (inside every rail first, best first), then unscored, then failed."""
    if mode not in ("max", "min"):
        raise SelectionError(f"criterion.mode={mode!r}: choose max or min")
    succeeded = [run for run in runs if run.results is not None]
    if not succeeded:
        raise SelectionError(f"none of the {len(runs)} runs succeeded; the first: {runs[0].failure}")
    common = Path(os.path.commonpath([run.folder for run in runs]))
    entries = []
    for run in runs:
        name = run.folder.relative_to(common).as_posix() if len(runs) > 1 else run.folder.name
        if run.results is None:
            entries.append(Entry(run, name, "failed", note=run.failure))
            continue
        try:
            score = as_number(lookup(run.results, key))
            note = "" if score is not None else f"{key} is not a number"
        except KeyError:
            score, note = None, f"no {key} in results.json"
        entry = Entry(run, name, "ranked" if score is not None else "unscored", score, note=note)
        for rail in rails:
            try:
                value = as_number(lookup(run.results, f"{METRICS_KEY}.{rail.metric}"))
            except KeyError:
                value = None  # not measured (a train run): nothing to hold it to
            entry.rail_values[rail.metric] = value
            breach = rail.breach(value) if value is not None else None
            if breach:
                entry.breaches.append(breach)
        entries.append(entry)
    if not any(entry.status == "ranked" for entry in entries):
        keys = list(figures(succeeded[0].results))
        available = ", ".join(keys[:20]) + (", ..." if len(keys) > 20 else "")
        raise SelectionError(
            f"criterion key {key!r} holds a number in none of the {len(succeeded)} runs' results.json; "
            f"keys there: {available}"
        )
    # A search trial repeats a dozen fixed overrides; only the others tell its rows apart.
    shared = set.intersection(*(set(run.overrides) for run in runs)) if len(runs) > 1 else set()
    for entry in entries:
        entry.varied = " ".join(o for o in entry.run.overrides if o not in shared)
    sign = -1.0 if mode == "max" else 1.0
    order = {"ranked": 0, "unscored": 1, "failed": 2}
    entries.sort(
        key=lambda e: (
            order[e.status],
            bool(e.breaches),
            sign * e.score if e.score is not None else 0,
            e.name,
        )
    )
    for position, entry in enumerate(e for e in entries if e.status == "ranked"):
        entry.rank = position + 1
    return entries


def track_folder(run: Run) -> Path | None:
    """The run's bundle folder (compose's `bundle`) when it holds audio; None for runs without a track.
    A moved run still finds its bundle: the recorded path first, then the same name in the run folder."""
    recorded = (run.results or {}).get("bundle")
    if not isinstance(recorded, str) or not recorded:
        return None
    for folder in (Path(recorded), run.folder / Path(recorded).name):
        if folder.is_dir() and any(p.suffix in (".flac", ".wav") for p in folder.iterdir()):
            return folder
    return None


def rows(entries: list[Entry], key: str, rails: list[Rail], columns: list[str]) -> list[dict]:
    """The leaderboard as plain rows (CSV, JSON): the criterion, extra columns, rail values, breaches."""
    table = []
    for entry in entries:
        row = {
            "rank": entry.rank,
            "run": entry.name,
            "overrides": entry.varied,
            "status": entry.status,
            key: entry.score,
        }
        for column in columns:
            try:
                row[column] = lookup(entry.run.results or {}, column)
            except KeyError:
                row[column] = None
        row |= {rail.metric: entry.rail_values.get(rail.metric) for rail in rails}
        track = track_folder(entry.run) if entry.run.results else None
        row |= {
            "breaks": "; ".join(entry.breaches),
            "track": str(track) if track else "",
            "note": entry.note,
            "folder": str(entry.run.folder),
        }
        table.append(row)
    return table
