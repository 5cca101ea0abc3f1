"""experiments/submission/finalists.py: which configurations the Turing test grades, with which
overrides, and how its figures become the finalists' table."""

import importlib.util
import json

import pytest

from tests.conftest import REPO

SCRIPT = REPO / "experiments" / "submission" / "finalists.py"
SPEC = importlib.util.spec_from_file_location("finalists", SCRIPT)
finalists = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(finalists)

SHIPPED = ["harmoniser=coconet", "harmonize.steps=48", "revise.rounds=1", "embellish.enabled=false"]


def campaign(tmp_path, runs: dict[str, list[str]]):
    """A select folder over study trials named by `runs` (trial -> overrides), ranked in that order."""
    select = tmp_path / "select"
    select.mkdir()
    rows, configurations = [], []
    for rank, (trial, overrides) in enumerate(runs.items(), start=1):
        folder = tmp_path / "trials" / trial
        (folder / ".hydra").mkdir(parents=True)
        given = ["suite=small", "suite.trial=trial.json", f"hydra.run.dir={folder}", *overrides]
        (folder / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in given))
        rows.append({"run": trial, "folder": str(folder)})
        configurations.append({"config": rank, "overrides": " ".join(overrides[:1]), "first run": trial,
                               "judge_score mean": 99.0 - rank, "low": 98.0 - rank, "high": 99.5 - rank,
                               "seconds_per_track": 20.0 * rank})  # fmt: skip
    (select / "configurations.json").write_text(json.dumps(configurations))
    (select / "leaderboard.json").write_text(json.dumps(rows))
    return select


def test_the_best_configurations_and_the_shipped_one_are_graded_with_their_runs_overrides(tmp_path):
    best, second = ["harmonize.steps=32", "revise.rounds=0"], ["ornaments.strength=0.5"]
    select = campaign(tmp_path, {"5": best, "9": second, "1": SHIPPED})
    chosen = finalists.finalists(select, top=1)
    assert [c["first run"] for c in chosen] == ["5", "1"]  # the shipped setting, wherever it ranked
    assert chosen[0]["compose_overrides"] == best  # the run's own, not select's label
    assert [finalists.name_of(c) for c in chosen] == ["config 1, trial 5", "config 3, trial 1 (shipped)"]
    assert [c["first run"] for c in finalists.finalists(select, top=3)] == ["5", "9", "1"]  # once each


def test_the_table_reads_the_track_stage_and_orders_by_the_discriminators(tmp_path):
    select = campaign(tmp_path, {"5": ["harmonize.steps=32"], "1": SHIPPED})
    chosen = finalists.finalists(select, top=1)

    def turing(trees, cnn):
        stage = {"discriminators": {"trees": {"auc": trees, "ci95": [trees - 0.05, trees + 0.05]},
                                    "cnn": {"auc": cnn, "ci95": [cnn - 0.1, cnn + 0.1]}}}  # fmt: skip
        figures = {"judge_median": 97.0, "judge_mean": 95.0, "parallels": 0.001,
                   "every_voice_mean_inside_bach_p5_p95": 0.5}  # fmt: skip
        seconds = {"harmonise": 60.0}
        return {"stages": {"harmonize": {}, "ornament": stage},
                "figures": {"harmonize": {}, "ornament": figures}, "seconds": seconds}  # fmt: skip

    rows = [finalists.row(chosen[0], turing(0.84, 0.80)), finalists.row(chosen[1], turing(0.82, 0.78))]
    assert [r["mean_auc"] for r in rows] == pytest.approx([0.82, 0.80])
    assert rows[0]["campaign_judge"] == [98.0, 97.0, 98.5] and rows[1]["overrides"] == SHIPPED
    table = finalists.markdown(rows, chorales=41).splitlines()
    assert table[0] == "# Finalists: the Turing test on 41 validation sopranos (the track)"
    shipped = (
        "| config 2, trial 1 (shipped) | 97.00 [96.00, 97.50] | 40 | 0.820 [0.77, 0.87] | 0.780 [0.68, 0.88] "
    )
    assert table[4].startswith(shipped)
    assert table[5].startswith("| config 1, trial 5 |")
