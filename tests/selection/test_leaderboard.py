"""Gathering runs from a tree on disk, the Bach guard-rails, and the ranking rules."""

import json
from pathlib import Path

import numpy as np
import pytest

from deepchorale.evaluation.reference import REFERENCE_PATH, read_reference
from deepchorale.selection.leaderboard import configurations, guard_rails, pareto_front, rank, winner
from deepchorale.selection.runs import Run, SelectionError, find_runs

RAILS_METRICS = ["parallel_fifths", "parallel_octaves", "triad_or_seventh_rate"]


def write_run(folder: Path, results: dict | str | None, task: str = "compose", hydra: bool = True) -> Path:
    """A run folder as `hydra_app` leaves it: config.yaml, .hydra/overrides.yaml and results.json."""
    folder.mkdir(parents=True)
    if hydra:
        (folder / ".hydra").mkdir()
        (folder / ".hydra" / "overrides.yaml").write_text(f"- seed={folder.name}\n")
        (folder / "config.yaml").write_text(f"task_name: {task}\n")
    if results is not None:
        (folder / "results.json").write_text(results if isinstance(results, str) else json.dumps(results))
    return folder


def test_guard_rails_are_bachs_p10_p90():
    rails = {rail.metric: rail for rail in guard_rails(RAILS_METRICS, (10, 90), REFERENCE_PATH)}
    values = [v for v in read_reference()["metrics"]["triad_or_seventh_rate"]["values"] if v is not None]
    assert (rails["triad_or_seventh_rate"].low, rails["triad_or_seventh_rate"].high) == pytest.approx(
        tuple(np.percentile(values, [10, 90]))
    )
    assert (rails["parallel_octaves"].low, rails["parallel_octaves"].high) == (0.0, 0.0)
    assert rails["triad_or_seventh_rate"].breach(0.5) == "triad_or_seventh_rate 0.5 < 0.741"
    assert rails["parallel_fifths"].breach(0.0) is None
    with pytest.raises(SelectionError, match="'parallel_ninths' is not in the Bach reference"):
        guard_rails(["parallel_ninths"], (10, 90), REFERENCE_PATH)


def composed(score, fifths=0.0, triads=0.8) -> dict:
    return {"judge_score": score, "metrics": {"parallel_fifths": fifths, "parallel_octaves": 0.0,
                                              "triad_or_seventh_rate": triads}}  # fmt: skip


def test_runs_inside_the_rails_rank_first_then_unscored_then_failed(tmp_path):
    rails = guard_rails(RAILS_METRICS, (10, 90), REFERENCE_PATH)
    runs = [
        Run(tmp_path / "loud", composed(90, fifths=0.05)),  # the best score, Bach-implausible fifths
        Run(tmp_path / "good", composed(60)),
        Run(tmp_path / "better", composed(70)),
        Run(tmp_path / "two_breaks", composed(95, fifths=0.05, triads=0.3)),
        Run(tmp_path / "unjudged", {**composed(None), "judge_score": None}),
        Run(tmp_path / "crashed", None, failure="error: out of memory"),
    ]
    entries = rank(runs, "judge_score", "max", rails)
    assert [e.name for e in entries] == ["better", "good", "two_breaks", "loud", "unjudged", "crashed"]
    assert [e.rank for e in entries] == [1, 2, 3, 4, None, None]
    assert [e.status for e in entries[-2:]] == ["unscored", "failed"]
    assert entries[3].breaches == ["parallel_fifths 0.05 > 0.0101"]
    assert len(entries[2].breaches) == 2 and entries[0].breaches == []
    assert entries[-2].note == "judge_score is not a number"
    # Minimising reverses the order inside each class, never across them.
    by_min = rank(runs, "judge_score", "min", rails)
    assert [e.name for e in by_min][:4] == ["good", "better", "loud", "two_breaks"]


def test_rails_not_measured_do_not_hold_a_run_back(tmp_path):
    rails = guard_rails(RAILS_METRICS, (10, 90), REFERENCE_PATH)
    trained = [
        Run(tmp_path / "a", {"val/loss": 2.0}),
        Run(tmp_path / "b", {"val/loss": 1.5, "judge_score": True}),
    ]
    entries = rank(trained, "val/loss", "min", rails)
    assert [e.name for e in entries] == ["b", "a"] and all(not e.breaches for e in entries)
    assert entries[0].rail_values == dict.fromkeys(RAILS_METRICS)
    with pytest.raises(
        SelectionError, match=r"criterion key 'judge_score' holds a number in none .* val/loss"
    ):
        rank(trained, "judge_score", "max", rails)  # True is not a score
    with pytest.raises(SelectionError, match="none of the 1 runs succeeded; the first: error: boom"):
        rank([Run(tmp_path / "c", None, failure="error: boom")], "val/loss", "min", rails)


def test_find_runs_skips_copies_summaries_and_lists_failures(tmp_path):
    sweep = tmp_path / "logs"
    track = write_run(sweep / "compose" / "0", composed(50))
    (track / "j-s-bot-deepchorale-baroque").mkdir()  # its track's folder: no record, no run
    write_run(sweep / "compose" / "1", {"error": "melody 'x' is not a built-in tune", "job": "1 (melody=x)"})
    write_run(sweep / "compose" / "2", None)  # stopped before writing results
    write_run(sweep / "compose" / "3", "{not json")
    selected = write_run(sweep / "select" / "runs" / "t", {"winner": {}}, task="select")
    write_run(selected / "j-s-bot-deepchorale-baroque", composed(50), hydra=False)  # its exported copy
    study = write_run(sweep / "search" / "study", {"best": {}, "trials": []}, task="search")
    write_run(study / "trials" / "0", composed(40))
    loose = write_run(tmp_path / "elsewhere", {"val/loss": 1.0}, hydra=False)  # named as a file below

    runs = find_runs([str(sweep), str(loose / "results.json")])
    found = {run.folder.relative_to(tmp_path).as_posix(): run.failure for run in runs}
    assert found == {
        "logs/compose/0": None,
        "logs/compose/1": "error: melody 'x' is not a built-in tune",
        "logs/compose/2": "no results.json: the run failed or has not finished",
        "logs/compose/3": "results.json is not valid JSON",
        "logs/search/study/trials/0": None,
        "elsewhere": None,
    }
    assert next(run for run in runs if run.folder == track).overrides == ["seed=0"]
    assert {run.folder for run in find_runs(f"{sweep}/compose/[01]")} == {track, sweep / "compose" / "1"}
    with pytest.raises(SelectionError, match="matches no file or folder"):
        find_runs(str(tmp_path / "missing"))
    with pytest.raises(SelectionError, match="no runs found"):
        find_runs(str(sweep / "select" / "runs"))


def test_the_leaderboard_shows_the_overrides_that_set_runs_apart(tmp_path):
    fixed = ["experiment=coconet_small", "debug=default"]
    runs = [Run(tmp_path / str(n), {"val/loss": loss}, overrides=[*fixed, f"model.optimizer.lr={lr}"])
            for n, (loss, lr) in enumerate([(2.0, 0.1), (1.0, 0.01)])]  # fmt: skip
    entries = rank(runs, "val/loss", "min", rails=[])
    assert [e.varied for e in entries] == ["model.optimizer.lr=0.01", "model.optimizer.lr=0.1"]
    alone = rank(runs[:1], "val/loss", "min", rails=[])
    assert alone[0].varied == " ".join(runs[0].overrides)


def test_runs_of_one_setting_rank_together_by_their_intervals_lower_end(tmp_path):
    def run(name, score, seed, temperature, seconds, track=True):
        config = {"task_name": "compose", "seed": seed, "melody": "ode_to_joy",
                  "harmonize": {"temperature": temperature},
                  "paths": {"output_dir": str(tmp_path / name)}}  # fmt: skip
        found = Run(tmp_path / name, {"judge_score": score, "seconds_per_track": seconds}, config=config,
                    overrides=[f"seed={seed}", f"harmonize.temperature={temperature}"])  # fmt: skip
        found.track = tmp_path / name / "bundle" if track else None
        return found

    steady = [run(f"steady{seed}", score, seed, 0.5, 20.0) for seed, score in enumerate([61.0, 63.0, 62.0])]
    lucky = [run("lucky", 95.0, 0, 0.9, 40.0)]  # one draw: the best score, no interval
    erratic = [run("erratic0", 99.0, 0, 0.7, 30.0), run("erratic1", 1.0, 1, 0.7, 30.0)]
    entries = rank([*lucky, *erratic, *steady], "judge_score", "max", rails=[])
    found = configurations(entries)
    assert [c.label for c in found] == ["harmonize.temperature=0.5", "harmonize.temperature=0.7",
                                        "harmonize.temperature=0.9"]  # fmt: skip
    assert [c.estimate.count for c in found] == [3, 2, 1]
    assert found[0].estimate.value == pytest.approx(62.0) and found[0].estimate.low > 1.0
    assert [e.name for e in entries][:3] == ["steady1", "steady2", "steady0"]  # best first within one
    assert winner(entries, "judge_score", "max").name == "steady1"
    # A configuration chosen afterwards (by a measure select does not see): its own best track.
    assert winner(entries, "judge_score", "max", chosen_run="erratic1").name == "erratic0"
    with pytest.raises(SelectionError, match="export='nobody': no run of that name"):
        winner(entries, "judge_score", "max", chosen_run="nobody")
    # Score against seconds: the erratic setting is both worse and slower than the steady one.
    front = pareto_front(found, {"seconds_per_track": "min"}, "max")
    assert [(c.label, means) for c, means in front] == [
        ("harmonize.temperature=0.5", {"seconds_per_track": 20.0}),
        ("harmonize.temperature=0.9", {"seconds_per_track": 40.0}),
    ]
