"""Exporting the winner: the track's files under the submission's name, with the run's records."""

import json

from deepchorale.selection.leaderboard import rank
from deepchorale.selection.runs import Run
from deepchorale.selection.submission import export_submission


def test_a_suite_runs_best_track_is_exported_with_its_own_figures_beside_the_runs(tmp_path):
    run = tmp_path / "trials" / "1"
    track = run / "tracks" / "greensleeves-seed0" / "bundle"
    track.mkdir(parents=True)
    for suffix in (".flac", ".mid", ".musicxml"):
        (track / f"bundle{suffix}").write_bytes(suffix.encode())
    (track / "pianoroll.png").write_bytes(b"png")
    (track.parent / "track.json").write_text(json.dumps({"melody": "greensleeves", "judge_score": 98.6}))
    (run / "results.json").write_text(json.dumps({"judge_score": 97.8}))
    (run / "config.yaml").write_text("task_name: compose\n")
    found = Run(run, {"judge_score": 97.8}, overrides=["suite=small"])
    found.track = track
    [winner] = rank([found], "judge_score", "max", rails=[])

    bundle = export_submission(winner, tmp_path / "select", "j-s-bot-deepchorale-baroque")
    assert sorted(p.name for p in bundle.iterdir()) == [
        "config.yaml", "j-s-bot-deepchorale-baroque.flac", "j-s-bot-deepchorale-baroque.mid",
        "j-s-bot-deepchorale-baroque.musicxml", "pianoroll.png", "results.json", "track.json",
    ]  # fmt: skip
    assert json.loads((bundle / "track.json").read_text())["judge_score"] == 98.6  # the track's own
    assert json.loads((bundle / "results.json").read_text())["judge_score"] == 97.8
