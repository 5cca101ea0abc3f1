"""`deepchorale select` over runs a careless user or an attacker left: it reads only inside the runs
it is given, one bad run is failed with its reason while the others rank, and no link loop holds it.

Runs here are folders written as apps write them (results.json, config.yaml, .hydra/overrides.yaml,
a bundle with real audio); select runs as the real command, in this process or as a subprocess
where a hang is the failure to catch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.apps.test_select import select

BUNDLE = "j-s-bot-deepchorale-baroque"
NO_RAILS = "guard_rails.metrics=[]"


def make_run(folder: Path, score: float, overrides: list[str] | None = None, **results) -> Path:
    """A finished compose run: its record, config, overrides and a bundle with a second of audio."""
    bundle = folder / BUNDLE
    bundle.mkdir(parents=True)
    soundfile.write(bundle / f"{BUNDLE}.wav", np.zeros(8000, dtype=np.float32), 8000)
    (folder / ".hydra").mkdir()
    (folder / ".hydra" / "overrides.yaml").write_text(json.dumps(overrides or [f"seed={int(score)}"]))
    (folder / "config.yaml").write_text("task_name: compose\n")
    record = {"judge_score": score, "bundle": str(bundle), **results}
    (folder / "results.json").write_text(json.dumps(record))
    return folder


def leaderboard(output: Path) -> dict[str, dict]:
    return {row["run"]: row for row in json.loads((output / "leaderboard.json").read_text())}


def every_file(folder: Path) -> list[str]:
    return [path.name for path in folder.rglob("*")]


@pytest.fixture
def secret(tmp_path) -> Path:
    """A private folder beside the runs: a key and a track select must never copy."""
    folder = tmp_path / "private"
    folder.mkdir()
    (folder / "id_ed25519").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    soundfile.write(folder / "track.wav", np.zeros(8000, dtype=np.float32), 8000)
    return folder


@pytest.mark.parametrize("trick", ["recorded path", "relative path", "bundle is a link", "file is a link"])
def test_a_bundle_outside_its_run_is_never_read(tmp_path, capsys, secret, trick):
    runs = tmp_path / "runs"
    make_run(runs / "honest", 40.0)
    crafted = make_run(runs / "crafted", 99.0)  # the best score: it would win
    record = json.loads((crafted / "results.json").read_text())
    bundle = crafted / BUNDLE
    if trick == "recorded path":
        record["bundle"] = str(secret)
    elif trick == "relative path":
        record["bundle"] = "../../private"
    elif trick == "bundle is a link":
        for path in bundle.iterdir():
            path.unlink()
        bundle.rmdir()
        bundle.symlink_to(secret)
    else:
        (bundle / "id_ed25519").symlink_to(secret / "id_ed25519")
    (crafted / "results.json").write_text(json.dumps(record))
    output = tmp_path / "selection"
    code, out, err = select(f"runs={runs}", NO_RAILS, f"hydra.run.dir={output}", capsys=capsys)
    assert code == 0, err
    rows = leaderboard(output)
    assert rows["crafted"]["status"] == "failed" and "outside the run folder" in rows["crafted"]["note"]
    assert rows["honest"]["rank"] == 1 and "its best track: honest" in out
    assert "id_ed25519" not in every_file(output) and "track.wav" not in every_file(output)
    assert (output / BUNDLE / f"{BUNDLE}.wav").is_file()  # the honest run's track


def test_a_moved_run_still_finds_its_own_bundle(tmp_path, capsys):
    make_run(tmp_path / "old" / "run", 40.0)
    moved = tmp_path / "new" / "run"
    moved.parent.mkdir()
    (tmp_path / "old" / "run").rename(moved)  # its record still names the old place
    output = tmp_path / "selection"
    code, _, err = select(f"runs={moved.parent}", NO_RAILS, f"hydra.run.dir={output}", capsys=capsys)
    assert code == 0, err
    assert (output / BUNDLE / f"{BUNDLE}.wav").is_file()


BAD_RUNS = {
    "400 digits": ('{"judge_score": 1' + "0" * 399 + "}", "an integer of 400 digits"),
    "5000 digits": ('{"judge_score": 1' + "0" * 4999 + "}", "an integer of 5000 digits"),
    "nested JSON": ('{"a": ' * 5000 + "1" + "}" * 5000, "nested deeper than 64 levels"),
}


def test_one_bad_run_is_failed_with_its_reason_and_the_others_rank(tmp_path, capsys):
    runs = tmp_path / "runs"
    make_run(runs / "good", 40.0)
    make_run(runs / "mathtext", 30.0, overrides=["bundle.fullname=$x^{$", "seed=[/b]"])  # TeX, rich markup
    for name, (text, _) in BAD_RUNS.items():
        make_run(runs / name.replace(" ", "_"), 1.0)
        (runs / name.replace(" ", "_") / "results.json").write_text(text)
    (make_run(runs / "bad_yaml", 50.0) / ".hydra" / "overrides.yaml").write_text("- [unclosed\n")
    (make_run(runs / "latin1_config", 60.0) / "config.yaml").write_bytes(
        "task_name: café\n".encode("latin-1")
    )
    output = tmp_path / "selection"
    code, out, err = select(f"runs={runs}", NO_RAILS, f"hydra.run.dir={output}", capsys=capsys)
    assert code == 0, err
    assert "Traceback" not in err
    rows = leaderboard(output)
    assert [rows[name]["rank"] for name in ("good", "mathtext")] == [1, 2]
    assert "$x^{$" in rows["mathtext"]["overrides"] and "[/b]" in out
    notes = {name: row["note"] for name, row in rows.items() if row["status"] == "failed"}
    for name, (_, reason) in BAD_RUNS.items():
        assert reason in notes[name.replace(" ", "_")]
    assert ".hydra/overrides.yaml cannot be read" in notes["bad_yaml"]
    assert "config.yaml cannot be read" in notes["latin1_config"]
    assert (output / "report.html").is_file()  # the mathtext label was plotted as text
    assert any("x^{" in path.read_text() for path in (output / "report_files").glob("*.svg"))


def test_a_symlink_loop_under_a_glob_is_walked_once(tmp_path):
    runs = tmp_path / "runs"
    make_run(runs / "a", 40.0)
    (runs / "loop").symlink_to(".")
    (runs / "again").symlink_to(".")
    (runs / "a" / "up").symlink_to("..")
    command = [sys.executable, "-m", "deepchorale.cli", "select", f"runs={runs}/**", NO_RAILS,
               "report.enabled=false", f"hydra.run.dir={tmp_path / 'selection'}"]  # fmt: skip
    run = subprocess.run(command, cwd=tmp_path, env=os.environ, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = json.loads((tmp_path / "selection" / "leaderboard.json").read_text())
    assert [row["run"] for row in rows] == ["a"]
