"""benchmarks/turing_test.py: the figures it sets beside the discriminators' AUC, per stage, and the
pieces it keeps for discriminating again."""

import importlib.util
from dataclasses import replace

import numpy as np
import pytest

from deepchorale.data.chorale import REST
from deepchorale.evaluation.metrics import compute_metrics
from deepchorale.evaluation.reference import bach_split
from deepchorale.resolvers import project_root
from tests.conftest import CACHE_DIR, REPO

SCRIPT = REPO / "benchmarks/turing_test.py"
spec = importlib.util.spec_from_file_location("turing_test", SCRIPT)
script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(script)
JUDGE = f"{project_root()}/evaluation/judge/weights.pt"


def test_each_stage_gets_the_judge_parallels_and_the_register_target():
    chorales = bach_split("test", CACHE_DIR)[:4]
    octave_up = [replace(c, pitches=np.where(c.pitches == REST, REST, c.pitches + 12)) for c in chorales]
    stages = {"bach": [(c.id, c) for c in chorales], "octave_up": [(c.id, c) for c in octave_up]}
    figures = script.stage_figures(stages, JUDGE, str(CACHE_DIR))

    rows = [compute_metrics(c) for c in chorales]
    parallels = [r["parallel_fifths"] + r["parallel_octaves"] for r in rows]
    assert figures["bach"]["parallels"] == np.mean(parallels)
    assert figures["octave_up"]["every_voice_mean_inside_bach_p5_p95"] == 0  # every voice an octave high
    assert figures["bach"]["every_voice_mean_inside_bach_p5_p95"] > 0
    assert 0 <= figures["octave_up"]["judge_median"] <= 100
    assert figures["octave_up"]["judge_mean"] < figures["bach"]["judge_mean"]  # the judge hears register


def test_kept_pieces_come_back_as_they_were_and_only_for_the_same_chorales_and_seeds(tmp_path):
    chorales = bach_split("test", CACHE_DIR)[:3]
    seeds = [0, 1]
    stages = {
        stage: [(c.id, replace(c, id=f"{c.id}-{stage}-seed{seed}", source="",
                               pitches=np.where(c.pitches == REST, REST, c.pitches + shift)))
                for c in chorales for seed in seeds]
        for stage, shift in (("harmonize", 0), ("ornament", 2))
    }  # fmt: skip
    record = {"overrides": ["harmonize.steps=24"], "harmonise": 12.5, "per_stage": {"harmonize": 10.0}}
    script.save_pieces(stages, record, tmp_path / "pieces")

    loaded, saved = script.load_pieces(tmp_path / "pieces", chorales, seeds)
    assert list(loaded) == ["harmonize", "ornament"]  # the stages in their order
    assert loaded == stages  # every piece, its source chorale, key, meter, onsets and fermatas
    assert saved == record
    with pytest.raises(SystemExit, match="not these chorales and seeds"):
        script.load_pieces(tmp_path / "pieces", chorales, [0])
    with pytest.raises(SystemExit, match="no pieces readable"):
        script.load_pieces(tmp_path / "elsewhere", chorales, seeds)
