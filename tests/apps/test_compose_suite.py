"""`deepchorale compose suite=...`: every melody x seed composed, the aggregate with its interval,
the per-melody breakdown, the best track as the run's bundle; a bad suite refused before any work."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import CACHE_DIR

ENV = {**os.environ, "DEEPCHORALE_CACHE": str(CACHE_DIR)}
# Two built-in tunes, one seed, short tracks, a few sampling steps: the suite's mechanics in seconds.
TINY_SUITE = ["debug=compose", "suite=small", "suite.melodies=[ode_to_joy,twinkle_twinkle]",
              "suite.seeds=[0]", "duration.target_seconds=10"]  # fmt: skip


def compose(*overrides: str, run_dir) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "deepchorale.cli", "compose", *overrides, f"hydra.run.dir={run_dir}"]
    return subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=300)


def test_a_suite_run_records_the_aggregate_its_interval_and_each_melody(tmp_path):
    run = compose(*TINY_SUITE, "suite.statistic=median", run_dir=tmp_path / "run")
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    scores = [track["judge_score"] for track in results["tracks"]]
    assert [(t["melody"], t["seed"]) for t in results["tracks"]] == [
        ("ode_to_joy", 0),
        ("twinkle_twinkle", 0),
    ]
    assert results["judge_score"] == pytest.approx(np.median(scores)) == results["judge_score_median"]
    low, high = results["judge_score_ci"]
    assert low <= results["judge_score"] <= high and results["judge_score_mean"] == pytest.approx(
        np.mean(scores)
    )
    assert set(results["per_melody"]) == {"ode_to_joy", "twinkle_twinkle"}
    assert results["suite"] == {"name": "small", "statistic": "median", "level": 0.9, "melodies": 2,
                                "seeds": [0], "tracks": 2}  # fmt: skip
    assert results["seconds_per_track"] > 0 and 0 <= results["metrics"]["parallel_fifths"] <= 1
    best = max(results["tracks"], key=lambda track: track["judge_score"])
    assert results["bundle"] == best["bundle"] and (tmp_path / "run" / best["bundle"]).is_dir()
    for track in results["tracks"]:  # each track a compose bundle with its own record
        folder = tmp_path / "run" / track["bundle"]
        assert any(folder.glob("*.flac")) and (folder.parent / "track.json").is_file()
    assert "suite small: judge_score" in run.stdout


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("suite.seeds=[]", "suite.seeds: give a list of integer seeds"),
        ("suite.melodies=[ode_to_joy,nowhere.mid]", "melody file nowhere.mid not found"),
        ("suite.statistic=mode", "suite.statistic 'mode': choose mean or median"),
    ],
)
def test_a_bad_suite_is_refused_in_one_line_before_any_track(override, message, tmp_path):
    run = compose(*TINY_SUITE, override, run_dir=tmp_path / "run")
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [run.stderr.strip()] and message in run.stderr
    assert not (tmp_path / "run" / "results.json").exists() and not (tmp_path / "run" / "tracks").exists()
