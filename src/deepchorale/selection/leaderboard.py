"""Rank the runs `selection/runs.py` found: the leaderboard behind `deepchorale select`.

Ranking. The criterion is a dotted key into results.json (`judge_score`, `metrics.parallel_fifths`,
`val/loss`, `test.test/nll_note`; read as search reads its objective), maximised or minimised.
Guard-rails are bands of real Bach (the p10-p90 of the reference test split,
`evaluation/reference/bach_test.json`) for metrics of `compute_metrics`: a high judge score with
Bach-implausible voice leading is worth less than a lower score inside every band, so runs that
break a rail rank after all those that break none.

Configurations, not draws. One track's judge score swings with the seed alone, so runs are grouped
by their resolved config.yaml minus what only picks the draw (`seed`, `melody`, a suite's
`trial` link, paths into the run's own folder): a `compose -m seed=0,1,2 melody=...` campaign, or
a search's suite trials, become one configuration per setting. A configuration's value is the mean
of its tracks (a suite run counts each of its `tracks`, one run one track otherwise) with its
bootstrap interval (evaluation/uncertainty.py), and configurations rank by the interval's
pessimistic end: a setting measured on one track has no interval and ranks after every one measured
on more, by its value. Its guard-rails are held to its runs' mean figures. The winner exported is
the best track of the best configuration.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from deepchorale.evaluation.reference import read_reference
from deepchorale.evaluation.uncertainty import Estimate, estimate
from deepchorale.run_records import as_number, figures, lookup
from deepchorale.selection.runs import Run, SelectionError

METRICS_KEY = "metrics"  # compose and evaluate keep `compute_metrics`'s figures under this key
DRAW_KEYS = ("seed", "melody")  # config keys that pick a draw, not a setting
TRACKS_KEY = "tracks"  # a compose suite run's tracks, each with its own figures (apps/compose_suite.py)


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
    configuration: Configuration | None = None  # the setting it measured, with its other runs


@dataclass
class Configuration:
    """The ranked runs that share a setting (the same config but for the draw)."""

    entries: list[Entry]
    estimate: Estimate  # the mean of its tracks' criterion, with its interval
    breaches: list[str] = field(default_factory=list)
    rank: int | None = None

    @property
    def label(self) -> str:
        """Its first run's distinguishing overrides, but the draw's."""
        words = self.entries[0].varied.split()
        return " ".join(w for w in words if w.split("=")[0].lstrip("+~") not in DRAW_KEYS) or "(shared)"


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


def rank(runs: list[Run], key: str, mode: str, rails: list[Rail], level: float = 0.9) -> list[Entry]:
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
    group(entries, key, mode, rails, level)
    order = {"ranked": 0, "unscored": 1, "failed": 2}
    entries.sort(
        key=lambda e: (
            order[e.status],
            e.configuration.rank if e.configuration else 0,
            bool(e.breaches),
            sign * e.score if e.score is not None else 0,
            e.name,
        )
    )
    for position, entry in enumerate(e for e in entries if e.status == "ranked"):
        entry.rank = position + 1
    return entries


def setting(run: Run) -> str:
    """What identifies the run's setting: its config minus the draw and its own paths; a run with
    no config.yaml is a setting of its own."""
    if not run.config:
        return f"run {run.folder}"
    own = str(run.folder)

    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in DRAW_KEYS and k != "trial"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return None if isinstance(node, str) and own in node else node

    return repr(strip(run.config))


def samples(entry: Entry, key: str) -> list[float]:
    """The criterion per track: each of a suite run's tracks, else the run's own value."""
    tracks = entry.run.results.get(TRACKS_KEY)
    if isinstance(tracks, list):
        values = []
        for track in tracks:
            try:
                value = as_number(lookup(track, key)) if isinstance(track, dict) else None
            except KeyError:
                value = None
            if value is not None:
                values.append(value)
        if values:
            return values
    return [entry.score]


def group(entries: list[Entry], key: str, mode: str, rails: list[Rail], level: float = 0.9) -> None:
    """Gather the ranked entries into configurations and rank those (see the module's docstring)."""
    members: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.status == "ranked":
            members.setdefault(setting(entry.run), []).append(entry)
    found = []
    for runs in members.values():
        values = [value for entry in runs for value in samples(entry, key)]
        configuration = Configuration(runs, estimate(values, "mean", level))
        for rail in rails:
            measured = [e.rail_values.get(rail.metric) for e in runs]
            measured = [value for value in measured if value is not None]
            breach = rail.breach(float(np.mean(measured))) if measured else None
            if breach:
                configuration.breaches.append(breach)
        for entry in runs:
            entry.configuration = configuration
        found.append(configuration)
    sign = -1.0 if mode == "max" else 1.0
    found.sort(key=lambda c: (bool(c.breaches), sign * c.estimate.bound(mode), sign * c.estimate.value,
                              c.entries[0].name))  # fmt: skip
    for position, configuration in enumerate(found):
        configuration.rank = position + 1


def configurations(entries: list[Entry]) -> list[Configuration]:
    """The ranked configurations of a leaderboard, best first."""
    unique = {id(e.configuration): e.configuration for e in entries if e.configuration is not None}
    return sorted(unique.values(), key=lambda c: c.rank)


def figure_mean(configuration: Configuration, key: str) -> float | None:
    """The mean of a figure over the configuration's runs that have it."""
    values = []
    for entry in configuration.entries:
        try:
            value = as_number(lookup(entry.run.results, key))
        except KeyError:
            value = None
        if value is not None:
            values.append(value)
    return float(np.mean(values)) if values else None


def pareto_front(found: list[Configuration], tradeoffs: dict[str, str], mode: str) -> list[tuple]:
    """The configurations no other beats in the criterion (its mean, maximised or minimised as `mode`)
    and in every figure of `tradeoffs` (key -> max or min) at once, as (configuration, {key: mean});
    those lacking a figure take no part."""
    points = []
    for configuration in found:
        means = {key: figure_mean(configuration, key) for key in tradeoffs}
        if all(value is not None for value in means.values()):
            points.append((configuration, means))

    def oriented(configuration, means) -> list[float]:  # higher is better in each
        signs = [1.0 if direction == "max" else -1.0 for direction in tradeoffs.values()]
        first = configuration.estimate.value * (1.0 if mode == "max" else -1.0)
        return [first, *(sign * value for sign, value in zip(signs, means.values()))]

    scored = [(configuration, means, oriented(configuration, means)) for configuration, means in points]
    return [
        (configuration, means)
        for configuration, means, mine in scored
        if not any(all(o >= m for o, m in zip(other, mine)) and other != mine for _, _, other in scored)
    ]


def track_score(entry: Entry, key: str) -> float:
    """The criterion of the track the run exports: a suite run's best track, else the run's own."""
    try:
        value = as_number(lookup(entry.run.results, f"best_track.{key}"))
    except KeyError:
        value = None
    return entry.score if value is None else value


def winner(entries: list[Entry], key: str, mode: str, chosen_run: str | None = None) -> Entry:
    """The best track of the best configuration, or of the configuration of `chosen_run` (a run's
    name) when a measure select does not see chose it: of its runs with a track, the one whose
    track scores best, a run inside every guard-rail before any that breaks one; its best run when
    none has a track (nothing to export)."""
    best = configurations(entries)[0]
    if chosen_run is not None:
        named = [entry for entry in entries if entry.name == chosen_run]
        if not named:
            raise SelectionError(f"export={chosen_run!r}: no run of that name (names as the leaderboard's)")
        if named[0].configuration is None:
            raise SelectionError(f"export={chosen_run!r}: that run is {named[0].status}, not ranked")
        best = named[0].configuration
    with_track = [entry for entry in best.entries if entry.run.track is not None]
    if not with_track:
        return best.entries[0]
    sign = 1.0 if mode == "max" else -1.0
    return max(with_track, key=lambda entry: (not entry.breaches, sign * track_score(entry, key)))


def finite(value: float) -> float | None:
    """A bound as JSON and CSV can hold it: None for an unbounded one."""
    return value if np.isfinite(value) else None


def track_folder(run: Run) -> Path | None:
    """The run's bundle folder when it holds audio (checked to lie inside the run by `read_run`)."""
    return run.track


def rows(entries: list[Entry], key: str, rails: list[Rail], columns: list[str]) -> list[dict]:
    """The leaderboard as plain rows (CSV, JSON): the criterion, extra columns, rail values, breaches."""
    table = []
    for entry in entries:
        configuration = entry.configuration
        row = {
            "rank": entry.rank,
            "run": entry.name,
            "overrides": entry.varied,
            "status": entry.status,
            key: entry.score,
            "config": configuration.rank if configuration else None,
            "config_tracks": configuration.estimate.count if configuration else None,
            "config_mean": configuration.estimate.value if configuration else None,
            "config_low": finite(configuration.estimate.low) if configuration else None,
            "config_high": finite(configuration.estimate.high) if configuration else None,
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
