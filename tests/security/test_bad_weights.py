"""Broken, careless and oversized weights files: each is one `WeightsError` line, before any work.

`load_model` and `load_training_module` meet each file directly; then each of the four entries that
take weights (compose's harmoniser and judge, train's `weights`, evaluate's judge) is run as the
real command: exit status 2, one line on stderr, no traceback, no results.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import hydra
import pytest
import torch
from music21 import corpus

from deepchorale.data.musicxml import MAX_SCORE_BYTES
from deepchorale.data.scores import ScoreError, read_score
from deepchorale.models.weights import FORMAT, WeightsError, load_model, load_training_module, save_weights
from tests.conftest import CACHE_DIR, REPO

JUDGE = REPO / "evaluation" / "judge" / "weights.pt"
TINY = {
    "_target_": "deepchorale.training.coconet.CoconetModule",
    "net": {"_target_": "deepchorale.models.coconet.CoconetNet", "num_layers": 2, "num_filters": 4},
    "optimizer": {"_target_": "torch.optim.Adam", "_partial_": True, "lr": 0.001},
}


def tiny_state() -> dict:
    torch.manual_seed(0)
    return hydra.utils.instantiate(TINY).state_dict()


def net_with(**change) -> dict:
    return {**TINY, "net": {**TINY["net"], **change}}


def nested(levels: int) -> dict:
    config = {"depth": 0}
    for _ in range(levels):
        config = {"inner": config}
    return config


def blob(**change) -> dict:
    return {"format": FORMAT, "model": TINY, "state_dict": tiny_state(), "metadata": {}, **change}


SAMPLER = {"steps": 4, "temperature": 0.5, "schedule": "yao", "voice_leading": None}
# name -> (what the file holds, or bytes / text for a file that is no pickle; what the line says)
CASES = {
    "empty file": (b"", "is not a readable weights file"),
    "text file": ("weights, honestly\n", "is not a readable weights file"),
    "no model config": (blob(model=None), "has no model config"),
    "no state dict": ({"format": FORMAT, "model": TINY}, "has no state dict"),
    "state dict is a list": (blob(state_dict=[1, 2, 3]), "has no state dict"),
    "??? value": (
        blob(model=net_with(num_filters="???")),
        r"refused at model.net.num_filters: a missing value",
    ),
    "deeply nested config": (blob(model={**TINY, "sampler": nested(3000)}), "nested deeper than 16 levels"),
    "6,000 filters": (blob(model=net_with(num_filters=6000)), "6000 is larger than anything its state dict"),
    "200,002 layers": (blob(model=net_with(num_layers=200_002)), "200002 is larger than anything"),
    "600 layers, a state dict of 2": (
        blob(model=net_with(num_layers=600)),
        "does not fit its own model config",
    ),
    "sampler missing a key": (
        blob(model={**TINY, "sampler": {"steps": 4, "temperature": 0.5}}),
        "sampler lacks schedule, voice_leading",
    ),
    "sampler with text for a number": (
        blob(model={**TINY, "sampler": {**SAMPLER, "steps": "12"}}),
        r"sampler.steps is '12', not a int",
    ),
}


def write_case(folder: Path, case: str) -> Path:
    content, _ = CASES[case]
    path = folder / "weights.pt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content)
    else:
        recursion = sys.getrecursionlimit()
        sys.setrecursionlimit(20_000)  # pickling 3,000 levels recurses; loading them must not
        try:
            torch.save(content, path)
        finally:
            sys.setrecursionlimit(recursion)
    return path


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize(
    "load", [load_model, load_training_module], ids=["load_model", "load_training_module"]
)
def test_a_bad_weights_file_is_one_weights_error_before_anything_is_built(tmp_path, case, load):
    path = write_case(tmp_path, case)
    start = time.process_time()
    with pytest.raises(WeightsError, match=CASES[case][1]) as refused:
        load(path)
    assert time.process_time() - start < 5  # refused from the file's figures, nothing allocated
    assert len(str(refused.value).splitlines()) == 1 and str(path) in str(refused.value)


def test_weights_of_another_model_are_refused_at_load_time():
    with pytest.raises(WeightsError, match="holds judge weights, not coconet"):
        load_model(JUDGE, kind="coconet")


def test_the_checks_let_a_good_file_through(tmp_path):
    sampler = {
        **SAMPLER,
        "voice_leading": {"parallels": 12.0, "crossing": 12.0, "spacing": 4.0, "non_chord": 2.0},
    }
    path = save_weights(tiny_state(), {**TINY, "sampler": sampler}, tmp_path / "good.pt")
    assert load_model(path, kind="coconet").sampler.steps == 4  # a rule missing below the top is allowed


def deepchorale(*arguments: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEEPCHORALE_CACHE": str(CACHE_DIR)}
    command = [sys.executable, "-m", "deepchorale.cli", *arguments]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    ("entry", "weights", "message"),
    [
        (["compose", "debug=compose"], "models.coconet={judge}", "holds judge weights, not coconet"),
        (["compose", "debug=compose"], "judge={empty}", "is not a readable weights file"),
        (["train", "train=false", "logger=none"], "weights={empty}", "is not a readable weights file"),
        (["evaluate", "logger=none", "inputs={melody}"], "judge={tiny}", "holds coconet weights, not judge"),
    ],
    ids=["compose harmoniser", "compose judge", "train weights", "evaluate judge"],
)
def test_every_entry_that_takes_weights_says_what_is_wrong_in_one_line(tmp_path, entry, weights, message):
    files = {
        "judge": JUDGE,
        "empty": tmp_path / "empty.pt",
        "tiny": save_weights(tiny_state(), TINY, tmp_path / "tiny.pt"),
        "melody": corpus.getWork("bwv66.6"),  # a Bach chorale, from music21's offline corpus
    }
    files["empty"].write_bytes(b"")
    arguments = [argument.format(**files) for argument in entry]
    run_dir = tmp_path / "run"
    started = time.monotonic()
    run = deepchorale(*arguments, weights.format(**files), f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert run.returncode == 2, run.stderr[-2000:]
    assert len(run.stderr.strip().splitlines()) == 1 and message in run.stderr, run.stderr[-2000:]
    assert "Traceback" not in run.stderr and not (run_dir / "results.json").exists()
    assert time.monotonic() - started < 60  # refused before composing, training or scoring


def test_a_compressed_musicxml_that_unpacks_beyond_the_cap_is_refused_unread(tmp_path):
    bomb = tmp_path / "bomb.mxl"
    with (
        zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("score.musicxml", "w") as member,  # streamed: the test holds 1 MB at a time
    ):
        for _ in range(MAX_SCORE_BYTES // 2**20 + 1):
            member.write(b" " * 2**20)
    assert bomb.stat().st_size < MAX_SCORE_BYTES // 500
    with pytest.raises(ScoreError, match="unpacks to more than 64 MB"):
        read_score(bomb)
