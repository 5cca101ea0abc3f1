"""`deepchorale compose suite=<name>`: a setting measured on a suite of melodies x seeds, not on one draw.

One track's judge score swings from a few points to 80 with the seed alone, and a setting tuned on
one tune did not carry over to others (experiments/compose_search/README.md). A suite
(`conf/suite/*.yaml`) names the melodies and seeds; the run composes each pair, melody by melody,
as a normal compose bundle in `tracks/<melody>-seed<seed>/` with its figures in `track.json` there
(not results.json: select ranks the suite run, not its tracks). The run's results.json holds:
- `judge_score`: the suite's statistic (mean or median) of the tracks' judge scores: what search
  optimises and select ranks by, as for a single track; `judge_score_ci` its bootstrap interval,
  `judge_score_mean` and `judge_score_median` both;
- `seconds_per_track`: compose's wall time per track, the cost a multi-objective search weighs;
- `metrics`: each compute_metrics figure averaged over the tracks, which select's guard-rails read;
- `per_melody` and `tracks`: the breakdown; `bundle` and `best_track`: the best-judged track, which
  select exports.

In a search trial (`suite.trial` names its trial.json), the running statistic is reported to the
study after each melody, and a trial the pruner stops exits with `PRUNED_EXIT` and no results.json.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from omegaconf import DictConfig, ListConfig, OmegaConf

from deepchorale.atomic import write_json
from deepchorale.evaluation.uncertainty import STATISTICS, estimate

SCORE = "judge_score"  # the evaluation judge's grade of a track: what a suite aggregates


class SuiteError(ValueError):
    """A suite that cannot be composed: one line for the user."""


def tune_name(melody: str) -> str:
    return Path(melody).stem


def suite_tunes(cfg: DictConfig) -> list[DictConfig]:
    """compose's config once per melody and seed of the suite, melody by melody; checks the suite."""
    suite = cfg.suite
    if not isinstance(suite.melodies, ListConfig) or not suite.melodies:
        raise SuiteError("suite.melodies: give a list of melodies (built-in names or files)")
    seeds = suite.seeds
    if not isinstance(seeds, ListConfig) or not seeds or not all(isinstance(seed, int) for seed in seeds):
        raise SuiteError("suite.seeds: give a list of integer seeds")
    names = [tune_name(str(melody)) for melody in suite.melodies]
    if len(set(names)) < len(names) or len(set(suite.seeds)) < len(suite.seeds):
        raise SuiteError("suite: each melody and each seed once (tracks are named by melody and seed)")
    if suite.statistic not in STATISTICS:
        raise SuiteError(f"suite.statistic {suite.statistic!r}: choose {' or '.join(STATISTICS)}")
    if not 0 < suite.level < 1:
        raise SuiteError(f"suite.level {suite.level!r}: a confidence level between 0 and 1")
    if not cfg.judge:
        raise SuiteError("a suite grades its tracks by the evaluation judge: set judge (it is null)")
    tunes = []
    for melody in suite.melodies:
        for seed in suite.seeds:
            tune = copy.deepcopy(cfg)
            tune.melody, tune.seed = melody, seed
            tunes.append(tune)
    return tunes


def search_trial(trial_file: str | None):
    """The search trial this run is (a `search.reporting.TrialReporter`), else None."""
    if not trial_file:
        return None
    # Imported here: only a search trial talks to a study, and a plain compose need not load Optuna.
    from deepchorale.search.reporting import TrialReporter

    return TrialReporter(trial_file)


def summary(cfg: DictConfig, tracks: list[dict]) -> dict:
    """The aggregate figures of the tracks composed so far (see the module's docstring)."""
    suite = cfg.suite
    scores = [track[SCORE] for track in tracks]
    found = estimate(scores, suite.statistic, suite.level, suite.resamples, seed=0)
    best = max(tracks, key=lambda track: track[SCORE])
    per_melody = {}
    for track in tracks:
        per_melody.setdefault(track["melody"], {})[str(track["seed"])] = track[SCORE]
    metric_names = sorted({name for track in tracks for name in track["metrics"]})
    return {
        "suite": {
            "name": suite.name,
            "statistic": suite.statistic,
            "level": suite.level,
            "melodies": len(per_melody),
            "seeds": list(suite.seeds),
            "tracks": len(tracks),
        },
        SCORE: found.value,
        f"{SCORE}_ci": [found.low, found.high],
        f"{SCORE}_mean": float(np.mean(scores)),
        f"{SCORE}_median": float(np.median(scores)),
        "critic_score": mean_of(track.get("critic_score") for track in tracks),
        "seconds_per_track": float(np.mean([track["seconds"] for track in tracks])),
        "metrics": {name: mean_of(track["metrics"].get(name) for track in tracks) for name in metric_names},
        "per_melody": {
            melody: {SCORE: float(np.mean(list(seeds.values()))), "seeds": seeds}
            for melody, seeds in per_melody.items()
        },
        "tracks": tracks,
        "bundle": best["bundle"],
        "best_track": {key: best[key] for key in ("melody", "seed", SCORE, "bundle")},
    }


def mean_of(values) -> float | None:
    numbers = [value for value in values if isinstance(value, int | float) and np.isfinite(value)]
    return float(np.mean(numbers)) if numbers else None


def compose_suite(cfg: DictConfig, output_dir: Path, compose: Callable[[DictConfig, Path], dict]) -> dict:
    """Compose every track of the suite with `compose(tune config, folder) -> figures`; the run's figures."""
    tunes = suite_tunes(cfg)
    trial = search_trial(cfg.suite.trial)
    seeds = len(cfg.suite.seeds)
    tracks = []
    for index, tune in enumerate(tunes):
        folder = Path("tracks") / f"{tune_name(str(tune.melody))}-seed{tune.seed}"
        print(f"track {index + 1}/{len(tunes)}: {tune.melody}, seed {tune.seed}", flush=True)
        start = time.perf_counter()
        figures = compose(tune, output_dir / folder)
        seconds = time.perf_counter() - start
        write_json(output_dir / folder / "track.json", figures)
        bundle = folder / Path(figures["bundle"]).name  # relative: the run folder may move
        tracks.append({"melody": figures["melody"], "seed": tune.seed, SCORE: figures[SCORE],
                       "critic_score": figures.get("critic_score"), "seconds": seconds,
                       "duration_seconds": figures["duration_seconds"], "bundle": str(bundle),
                       "metrics": figures["metrics"]})  # fmt: skip
        if (index + 1) % seeds:
            continue  # the running score is reported once a melody has all its seeds
        running = summary(cfg, tracks)
        melodies = (index + 1) // seeds
        print(f"after {melodies} melodies: {SCORE} {running[SCORE]:.2f} ({cfg.suite.statistic} of "
              f"{len(tracks)} tracks)", flush=True)  # fmt: skip
        if trial is None:
            continue
        trial.report(running[SCORE], step=melodies)
        if index + 1 < len(tunes) and trial.should_prune():
            trial.stop(f"after {melodies} melodies ({SCORE} {running[SCORE]:.4g})")
    results = summary(cfg, tracks)
    results["settings"] = OmegaConf.to_container(cfg, resolve=True)
    low, high = results[f"{SCORE}_ci"]
    print(f"suite {cfg.suite.name}: {SCORE} {results[SCORE]:.2f} ({cfg.suite.statistic} of {len(tracks)} "
          f"tracks; {cfg.suite.level:.0%} CI {low:.2f} to {high:.2f})")  # fmt: skip
    return results
