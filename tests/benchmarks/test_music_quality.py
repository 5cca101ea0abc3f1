"""benchmarks/music_quality.py: its melodies and groups, and that every figure it reports exists."""

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest

from deepchorale.compose.tunes import BUILTIN_MELODIES
from deepchorale.evaluation.metrics import compute_metrics
from deepchorale.evaluation.reference import bach_split
from deepchorale.models.weights import load_model
from tests.conftest import CACHE_DIR, REPO

SCRIPT = REPO / "benchmarks/music_quality.py"
spec = importlib.util.spec_from_file_location("music_quality", SCRIPT)
script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(script)
BACH_SHARE = "share_of_bach_validation_chorales_with_every_voice_mean_inside_bach_p5_p95"


def test_the_benchmark_composes_the_built_ins_and_the_suite_in_three_groups():
    melodies = script.suite_melodies(list(script.GROUPS))
    groups = [group for group, _ in melodies.values()]
    assert [groups.count(g) for g in script.GROUPS] == [len(BUILTIN_MELODIES), 10, 12]
    for name, (group, source) in melodies.items():  # results.json names a file melody by its stem
        assert source == name if group == "builtin" else source.endswith(f"/{name}.mid")
    assert set(script.suite_melodies(["folk"])) == {n for n, (g, _) in melodies.items() if g == "folk"}


def test_every_figure_is_measured_for_bach_by_both_judges():
    chorales = bach_split("test", CACHE_DIR)[:3]
    names = set(compute_metrics(chorales[0])) | {"parallels"}
    assert set(script.METRICS) <= names  # a renamed metric would be a silent column of NaN
    judges = {key: load_model(path, kind="judge") for key, path in script.JUDGES.items()}
    rows = script.figures(chorales, judges)
    assert all(0 <= row[key] <= 100 for row in rows for key in script.JUDGES)
    assert all(np.isfinite(row["mean_pitch/tenor"]) for row in rows)
    table = script.compare([{**row, "group": "bach"} for row in rows], rows)
    assert table["judge_score"]["inside_bach_p10_p90"] == table["judge_score"]["bach_inside_own_p10_p90"]


def test_the_register_target_is_also_read_on_bach_chorales_that_did_not_set_its_band():
    test, val = bach_split("test", CACHE_DIR)[:6], bach_split("val", CACHE_DIR)[:6]
    judges = {key: load_model(path, kind="judge") for key, path in script.JUDGES.items()}
    rows = script.figures(test, judges)
    targets = script.targets(
        script.compare([{**row, "group": "bach"} for row in rows], rows), rows, rows, val
    )

    def voice_means(chorale):
        return [chorale.pitches[v][chorale.pitches[v] >= 0].mean() for v in range(4)]

    bands = np.percentile([voice_means(c) for c in test], [5, 95], axis=0)
    inside = [bool(np.all((bands[0] <= m) & (m <= bands[1]))) for m in map(np.array, map(voice_means, val))]
    assert targets[BACH_SHARE] == np.mean(inside)
    # the band's own chorales: the two extremes of each voice's six means lie outside its p5-p95
    assert targets["share_of_tracks_with_every_voice_mean_inside_bach_p5_p95"] < 1


@pytest.mark.slow
def test_the_benchmark_runs_end_to_end(tmp_path):
    out = tmp_path / "music_quality.json"
    command = [sys.executable, str(SCRIPT), "--groups", "builtin", "--seeds", "1", "--out", str(out)]
    subprocess.run([*command, "debug=compose"], check=True, cwd=REPO)
    result = json.loads(out.read_text())
    assert result["tracks_composed"] == len(BUILTIN_MELODIES)
    assert set(result["figures"]) == set(script.FIGURES)
    assert set(result["stages"]) == set(script.STAGES) - {"embellish"}  # the AR-CNN step is off by default
    assert set(result["stages"]["revise"]) == set(script.JUDGES)
    assert 0 <= result["targets"][BACH_SHARE] <= 1
