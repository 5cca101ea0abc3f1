"""A model of your own music, as a user makes one: a folder of MIDI and MusicXML files (some broken)
-> `deepchorale data` reports it -> `deepchorale train` one bounded epoch -> `deepchorale compose`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from deepchorale.data.musicxml import read_musicxml
from deepchorale.data.registers import bach_registers, read_registers, registers_from_json
from deepchorale.models.weights import load_model, read_weights
from tests.data.test_folder import BROKEN, write_music_folder


def deepchorale(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEEPCHORALE_CACHE": str(cwd / "cache")}
    command = [sys.executable, "-m", "deepchorale.cli", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_train_on_a_folder_and_compose_with_the_weights(tmp_path):
    music = write_music_folder(tmp_path / "music")
    folder = ["data=folder", f"data.path={music}", "data.parse_workers=1"]

    report = deepchorale("data", *folder, "write_reference=true", f"hydra.run.dir={tmp_path / 'data'}",
                         cwd=tmp_path)  # fmt: skip
    assert report.returncode == 0, report.stderr[-3000:]
    for name, reason in BROKEN.items():
        assert f"skipped {name}: {reason}" in report.stdout
    figures = json.loads((tmp_path / "data" / "results.json").read_text())
    assert figures["chorales"] == 12 and figures["picked_by"] == {"most_notes": 11, "pitch_order": 1}
    assert figures["chorales_per_split"]["val"] >= 1 and figures["chorales_per_split"]["test"] >= 1
    # The folder's own reference, in the formats of Bach's (evaluation/reference/).
    registers = read_registers(figures["reference"]["registers"])
    assert registers.bands != bach_registers().bands
    reference = json.loads(Path(figures["reference"]["reference"]).read_text())
    assert (
        reference["chorales"] == figures["chorales_per_split"]["test"]
        and "parallel_fifths" in reference["metrics"]
    )

    tiny = ["model.net.num_layers=4", "model.net.num_filters=16"]
    train = deepchorale("train", "experiment=coconet_small", *folder, *tiny, "debug=default", "logger=none",
                        f"hydra.run.dir={tmp_path / 'train'}", cwd=tmp_path)  # fmt: skip
    assert train.returncode == 0, train.stderr[-3000:]
    weights = tmp_path / "train" / "weights.pt"
    # The weights carry where the folder's voices sing: its training split's registers.
    stored = registers_from_json(read_weights(weights)["metadata"]["registers"], "weights")
    assert (stored.bands, stored.medians) == (registers.bands, registers.medians)

    # A judge of this music: the folder's pieces against negatives made from them.
    judge = deepchorale("train", "experiment=judge_evaluation", f"data.positives={{path:{music}}}",
                        "data.parse_workers=1", "data.families=[random_chords,shuffled_bars]",
                        "debug=default", "data.batch_size=8", "logger=none",
                        f"hydra.run.dir={tmp_path / 'judge'}", cwd=tmp_path)  # fmt: skip
    assert judge.returncode == 0, judge.stderr[-3000:]
    judge_weights = tmp_path / "judge" / "weights.pt"

    quick = ["debug=compose", "critic=null", f"judge={judge_weights}"]
    compose = deepchorale("compose", f"models.coconet={weights}", *quick,
                          f"hydra.run.dir={tmp_path / 'compose'}", cwd=tmp_path)  # fmt: skip
    assert compose.returncode == 0, compose.stderr[-3000:]
    assert f"registers: {registers.summary()} ({weights}'s training data)" in compose.stdout
    results = json.loads((tmp_path / "compose" / "results.json").read_text())
    assert results["soprano_matches_tune"] and results["models"]["coconet"]["path"] == str(weights)
    assert 0 <= results["judge_score"] <= 100 and results["settings"]["judge"] == str(judge_weights)
    assert f"(100 P(real) by the judge {judge_weights})" in compose.stdout
    assert results["registers"] == f"{weights}'s training data"
    soprano = read_musicxml(next((tmp_path / "compose").rglob("*.musicxml"))).parts[0]
    sung = [note.pitch for note in soprano.notes]
    low, high = registers.bands[0]
    assert low <= np.median(sung) <= high  # the tune sits in the folder's soprano band

    bad = deepchorale("compose", f"models.coconet={weights}", *quick, f"registers={tmp_path / 'none.json'}",
                      f"hydra.run.dir={tmp_path / 'bad'}", cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 2 and bad.stderr.strip() == (
        f"deepchorale compose: error: registers file {tmp_path / 'none.json'} not found"
    )


@pytest.mark.parametrize("experiment", ["arcnn_small", "gan_small"])
def test_the_arcnn_and_the_gan_train_on_a_folder_and_keep_its_registers(experiment, tmp_path):
    music = write_music_folder(tmp_path / "music")
    train = deepchorale("train", f"experiment={experiment}", "data=folder", f"data.path={music}",
                        "data.parse_workers=1", "debug=default", "logger=none",
                        f"hydra.run.dir={tmp_path / 'train'}", cwd=tmp_path)  # fmt: skip
    assert train.returncode == 0, train.stderr[-3000:]
    weights = tmp_path / "train" / "weights.pt"
    stored = registers_from_json(read_weights(weights)["metadata"]["registers"], "weights")
    assert stored.bands != bach_registers().bands
    load_model(weights, kind=experiment.removesuffix("_small"))


def test_a_folder_of_broken_files_is_one_line_and_status_2(tmp_path):
    (tmp_path / "music").mkdir()
    (tmp_path / "music" / "garbage.mid").write_bytes(b"MThd not really a MIDI file")
    run = deepchorale("data", "data=folder", f"data.path={tmp_path / 'music'}", cwd=tmp_path)
    assert run.returncode == 2
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("deepchorale data: error: no usable piece under") and "garbage.mid" in line
