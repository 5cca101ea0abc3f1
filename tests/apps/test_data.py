"""`deepchorale data` end to end, as a user runs it (a subprocess on the real corpus)."""

import json
import os
import subprocess
import sys

from tests.conftest import CACHE_DIR


def deepchorale(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEEPCHORALE_CACHE": str(CACHE_DIR)}
    command = [sys.executable, "-m", "deepchorale.cli", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_data_writes_results_and_resolved_config(tmp_path):
    run = deepchorale("data", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["chorales"] >= 330
    splits = results["chorales_per_split"]
    assert splits["train"] >= 260 and splits["val"] >= 30 and splits["test"] >= 30
    assert sum(results["modes"].values()) == results["chorales"]
    assert results["skipped"]["by_reason"]["not a MusicXML score"] == 3
    assert results["voice_ranges"]["bass"][0] >= 36
    config = (tmp_path / "run" / "config.yaml").read_text()
    assert "${" not in config and f"cache_dir: {CACHE_DIR}" in config
    assert "Bach chorales" in run.stdout


def test_default_run_dir_and_multirun_layout(tmp_path):
    assert deepchorale("data", cwd=tmp_path).returncode == 0
    (run_dir,) = (tmp_path / "logs" / "data" / "runs").iterdir()
    assert (run_dir / "results.json").is_file()
    sweep = deepchorale("data", "-m", "data.dedupe_transpositions=true,false", cwd=tmp_path)
    assert sweep.returncode == 0, sweep.stderr
    (sweep_dir,) = (tmp_path / "logs" / "data" / "multiruns").iterdir()
    counts = [json.loads((sweep_dir / job / "results.json").read_text())["chorales"] for job in ("0", "1")]
    assert counts[0] <= counts[1]  # without transposition dedupe, no fewer chorales survive


def test_bad_config_value_is_one_line_and_leaves_no_results(tmp_path):
    run = deepchorale("data", "data.views=[spectrogram]", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert run.returncode == 2
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("deepchorale data: error: unknown data views ['spectrogram']; choose from")
    assert not (tmp_path / "run" / "results.json").exists()
