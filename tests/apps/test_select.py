"""`deepchorale select` end to end over real runs: leaderboard, exported bundle, report, bad input.

The runs are one real compose multirun (two tunes, shipped weights, few sampling steps, short
tracks), one real compose run that failed on a bad melody, and a failed search trial's record.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile

from deepchorale.cli import main as cli
from deepchorale.render import musescore
from tests.selection.chromium import CHROMIUM, Browser

QUICK = ["debug=compose", "duration.target_seconds=12"]
BUNDLE = "j-s-bot-deepchorale-baroque"


def deepchorale(*arguments, cwd):
    command = [sys.executable, "-m", "deepchorale.cli", *arguments]
    return subprocess.run(command, cwd=cwd, env=os.environ, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A sweep folder as a user's would look: two composed tracks and two failed runs."""
    root = tmp_path_factory.mktemp("select")
    sweep = root / "sweep"
    composed = deepchorale(
        "compose", "-m", "melody=ode_to_joy,twinkle_twinkle", *QUICK, f"hydra.sweep.dir={sweep}", cwd=root
    )
    assert composed.returncode == 0, composed.stderr[-3000:]
    failed = deepchorale("compose", "melody=no_such_tune", f"hydra.run.dir={sweep / 'bad_melody'}", cwd=root)
    assert failed.returncode == 2 and not (sweep / "bad_melody" / "results.json").exists()
    # What a failed search trial records: its results.json carries the error.
    trial = sweep / "trial_7"
    trial.mkdir()
    (trial / "results.json").write_text(json.dumps({"error": "RuntimeError: the sampler diverged"}))
    return sweep


@pytest.fixture(scope="module")
def selection(runs):
    output = runs.parent / "selection"
    run = deepchorale("select", f"runs={runs}", f"hydra.run.dir={output}", cwd=runs.parent)
    assert run.returncode == 0, run.stderr[-3000:]
    return output, run.stdout


def select(*overrides, capsys) -> tuple[int, str, str]:
    """`deepchorale select` in this process (no interpreter start-up): exit status, stdout, stderr."""
    try:
        cli(["select", *overrides])
        code = 0
    except SystemExit as stop:
        code = stop.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_leaderboard_ranks_the_tracks_and_lists_the_failures(runs, selection):
    output, stdout = selection
    board = json.loads((output / "leaderboard.json").read_text())
    assert [row["status"] for row in board] == ["ranked", "ranked", "failed", "failed"]
    # Ranked by judge score within each guard-rail class: no break before any break, best first.
    ranked = board[:2]
    assert [row["rank"] for row in ranked] == [1, 2]
    order = [(bool(row["breaks"]), -row["judge_score"]) for row in ranked]
    assert order == sorted(order)
    assert {row["melody"] for row in ranked} == {"ode_to_joy", "twinkle_twinkle"}
    rails = json.loads((output / "results.json").read_text())["guard_rails"]
    for row in ranked:  # each breach names its rail and the bound it crossed
        composed = json.loads((Path(row["folder"]) / "results.json").read_text())
        assert row["parallel_fifths"] == composed["metrics"]["parallel_fifths"]
        for breach in filter(None, row["breaks"].split("; ")):
            assert breach.split()[0] in rails
    failures = {row["run"]: row["note"] for row in board[2:]}
    assert failures == {
        "bad_melody": "no results.json: the run failed or has not finished",
        "trial_7": "error: RuntimeError: the sampler diverged",
    }
    assert not any(BUNDLE in row["run"] for row in board)  # a track's folder is no run of its own
    with (output / "leaderboard.csv").open() as file:
        assert [row["run"] for row in csv.DictReader(file)] == [row["run"] for row in board]
    # The terminal table wraps long cells (more rails, narrower columns): the melody column is short.
    assert "leaderboard by judge_score" in stdout and "ode_to_joy" in stdout
    assert {row["overrides"].split()[0] for row in ranked} == {"melody=ode_to_joy", "melody=twinkle_twinkle"}

    results = json.loads((output / "results.json").read_text())
    assert results["criterion"] == {"key": "judge_score", "mode": "max", "level": 0.9}
    # Two tunes of one setting: one configuration, and its best track is the winner.
    assert results["count"] == {"runs": 4, "configurations": 1, "ranked": 2, "unscored": 0, "failed": 2}
    assert {row["config"] for row in ranked} == {1} and {row["config_tracks"] for row in ranked} == {2}
    assert results["winner"]["run"] == ranked[0]["folder"]
    assert results["guard_rails"]["parallel_octaves"] == [0.0, 0.0]  # Bach's p10 and p90 alike


def test_the_winner_is_exported_as_the_submission_bundle(selection):
    output, stdout = selection
    results = json.loads((output / "results.json").read_text())
    bundle = output / BUNDLE
    assert results["winner"]["bundle"] == str(bundle) and f"bundle: {bundle}" in stdout
    names = {p.name for p in bundle.iterdir()}
    engraved = (".pdf",) if musescore() else ()  # compose's score PDF, where MuseScore is installed
    expected = {f"{BUNDLE}{suffix}" for suffix in (".wav", ".flac", ".mid", ".musicxml", *engraved)}
    assert expected | {"pianoroll.png", "results.json", "config.yaml"} == names
    track = Path(results["winner"]["run"])
    assert (bundle / "results.json").read_text() == (track / "results.json").read_text()
    assert (bundle / "config.yaml").read_text() == (track / "config.yaml").read_text()
    audio, rate = soundfile.read(bundle / f"{BUNDLE}.flac")
    assert len(audio) / rate > 10
    assert not list(output.glob(".*partial"))


def test_bundle_name_comes_from_select_config(runs, tmp_path, capsys):
    code, _, err = select(
        f"runs={runs}/*",
        f"hydra.run.dir={tmp_path}",
        "bundle.fullname=Ada L",
        "report.enabled=false",
        capsys=capsys,
    )
    assert code == 0, err
    bundle = tmp_path / "ada-l-deepchorale-baroque"
    assert (bundle / "ada-l-deepchorale-baroque.flac").is_file() and (bundle / "pianoroll.png").is_file()
    assert not (tmp_path / "report.html").exists()


@pytest.mark.skipif(not CHROMIUM.is_file(), reason="needs Debian's chromium (scripts/setup.sh installs it)")
def test_report_plays_and_shows_everything_in_headless_chromium(selection, tmp_path):
    output, stdout = selection
    assert f"report: {output / 'report.html'}" in stdout
    # Self-contained: the folder alone, moved elsewhere, still plays (nothing points outside it).
    moved = tmp_path / "moved"
    shutil.copytree(output, moved)
    browser = Browser(tmp_path / "chromium-profile")
    try:
        state = browser.media_state(moved / "report.html")
    finally:
        browser.close()
    assert len(state["audio"]) == 2
    for audio in state["audio"]:
        assert audio["error"] is None and 10 < audio["duration"] < 20, audio
        assert (moved / audio["src"]).is_file()
    # Two piano rolls, then the plots: the criterion and one per guard-rail metric.
    sources = [image["src"] for image in state["images"]]
    assert sum("pianoroll" in src for src in sources) == 2
    rails = json.loads((output / "results.json").read_text())["guard_rails"]
    assert sum(src.endswith(".svg") for src in sources) == 1 + len(rails)
    for image in state["images"]:
        assert image["complete"] and image["width"] > 0, image
        assert (moved / image["src"]).is_file()


def test_train_runs_rank_by_their_loss_but_have_no_track(tmp_path, capsys):
    trained = deepchorale(
        "train", "experiment=coconet_small", "debug=fdr", "logger=none", "callbacks=none",
        "model.net.num_layers=4", "model.net.num_filters=16", f"hydra.run.dir={tmp_path / 'train'}",
        cwd=tmp_path,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr[-3000:]
    output = tmp_path / "selection"
    code, out, err = select(
        f"runs={tmp_path / 'train'}", "criterion.key=val/loss", "criterion.mode=min",
        f"hydra.run.dir={output}", capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    assert "the winner has no track" in out
    assert not (output / BUNDLE).exists()
    results = json.loads((output / "results.json").read_text())
    loss = json.loads((tmp_path / "train" / "results.json").read_text())["val/loss"]
    assert results["winner"]["score"] == loss and results["winner"]["bundle"] is None
    assert (output / "report.html").is_file()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["runs={empty}"], "no runs found in"),
        (["runs={empty}/nothing*"], "matches no file or folder"),
        (["runs={runs}", "criterion.key=judge_scor"], "criterion key 'judge_scor' holds a number in none"),
        (
            ["runs={runs}", "guard_rails.metrics=[parallel_ninths]"],
            "'parallel_ninths' is not in the Bach reference",
        ),
        (["runs={runs}", "criterion.mode=best"], "criterion.mode='best'"),
        (["runs={runs}", "export=no_such_run"], "export='no_such_run': no run of that name"),
        (["runs={runs}", "export=trial_7"], "export='trial_7': that run is failed, not ranked"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_with_nothing_written(runs, tmp_path, capsys, overrides, message):
    empty = tmp_path / "empty"
    empty.mkdir()
    output = tmp_path / "selection"
    arguments = [o.format(empty=empty, runs=runs) for o in overrides]
    code, _, err = select(*arguments, f"hydra.run.dir={output}", capsys=capsys)
    assert code == 2
    assert err.startswith("deepchorale select: error: ") and message in err and err.count("\n") == 1, err
    assert {p.name for p in output.iterdir()} <= {"config.yaml", ".hydra", "select.log"}


def test_a_previous_selection_is_not_a_run(runs, selection, tmp_path, capsys):
    """Selecting over a tree that holds an earlier selection (its exported bundle is a copy of a
    run's) still finds exactly the original runs."""
    code, _, err = select(
        f"runs={runs.parent}", f"hydra.run.dir={tmp_path / 'again'}", "report.enabled=false", capsys=capsys
    )
    assert code == 0, err
    first = json.loads((selection[0] / "leaderboard.json").read_text())
    again = json.loads((tmp_path / "again" / "leaderboard.json").read_text())
    assert [row["folder"] for row in again] == [row["folder"] for row in first]
