"""`deepchorale evaluate` end to end: a folder of good, corrupt, empty and foreign files, as a user
runs it (subprocesses on the real corpus).

Decided behaviour: files of other types found in a folder are ignored (a folder of scores often
holds notes and PDFs); a named file of another type, a missing path, and any unreadable, empty or
silent music file are listed under `failed` with the reason, and the rest are scored."""

import csv
import json
import os
import subprocess
import sys

import hydra
import pytest
from omegaconf import OmegaConf

from deepchorale.data.convert import to_midi
from deepchorale.models.weights import save_weights
from tests.conftest import CACHE_DIR, REPO


def evaluate(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEEPCHORALE_CACHE": str(CACHE_DIR)}
    command = [sys.executable, "-m", "deepchorale.cli", "evaluate", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def pieces(corpus, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pieces")
    to_midi(corpus.chorales[0]).write(str(folder / "first.mid"))
    (folder / "more").mkdir()
    to_midi(corpus.chorales[1]).write(str(folder / "more" / "second.midi"))
    (folder / "corrupt.mid").write_bytes(b"MThd\x00\x00\x00\x06 not really a MIDI file")
    (folder / "empty.mid").write_bytes(b"")
    (folder / "notes.txt").write_text("not music")
    return folder


@pytest.fixture(scope="module")
def tiny_judge(tmp_path_factory):
    """An untrained, narrow judge: the app's mechanics, not its verdicts."""
    model_config = OmegaConf.load(REPO / "conf" / "model" / "judge.yaml")
    model_config.net.channels = [4, 4, 4, 8]
    model_config.net.embedding_dim = 8
    model = hydra.utils.instantiate(model_config)
    path = tmp_path_factory.mktemp("judge") / "judge.pt"
    return save_weights(model.state_dict(), OmegaConf.to_container(model_config), path)


def test_a_folder_is_scored_and_bad_files_are_listed(pieces, tiny_judge, tmp_path):
    run = evaluate(f"inputs={pieces}", f"judge={tiny_judge}", f"hydra.run.dir={tmp_path}", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    scored = {piece["file"]: piece for piece in results["files"]}
    assert sorted(scored) == ["first.mid", "more/second.midi"]
    for piece in scored.values():
        assert 0 <= piece["judge_score"] <= 100 and 0 <= piece["combined_score"] <= 100
        metrics = piece["metrics"]
        assert metrics["pitch_range"] > 0 and 0 <= metrics["triad_or_seventh_rate"] <= 1
        assert metrics["originality/shared_share"] > 0.9  # a Bach chorale is in the Bach corpus
    failed = {entry["file"]: entry["reason"] for entry in results["failed"]}
    assert failed == {"corrupt.mid": failed["corrupt.mid"], "empty.mid": "empty file"}
    assert failed["corrupt.mid"].startswith("not a readable MIDI file")
    summary = results["set"]
    assert summary["pieces"] == 2 and summary["frechet_judge_distance"] >= 0
    assert 0 < summary["distances"]["pitch_range"]["overlap_area"] <= 1
    low, high = summary["judge_score"]["ci95"]
    assert low <= summary["judge_score"]["mean"] <= high
    with open(tmp_path / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["file"] for row in rows] == ["first.mid", "more/second.midi"]
    assert float(rows[0]["pitch_range"]) == scored["first.mid"]["metrics"]["pitch_range"]
    (wandb_run,) = (tmp_path / "wandb").glob("offline-run-*")
    assert list(wandb_run.glob("run-*.wandb"))
    assert list((wandb_run / "files" / "media" / "images").rglob("*.png"))
    assert "first.mid" in run.stdout and "empty file" in run.stdout


def test_without_judge_weights_scores_are_null_with_a_note(pieces, tmp_path):
    named = [str(pieces / "first.mid"), str(pieces / "notes.txt"), str(tmp_path / "missing.mid")]
    run = evaluate(
        f"inputs=[{','.join(named)}]",
        f"judge={tmp_path / 'no_judge.pt'}",
        "logger=none",
        f"hydra.run.dir={tmp_path / 'run'}",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    (piece,) = results["files"]
    assert piece["judge_score"] is None and piece["combined_score"] is None
    assert "no judge weights" in results["set"]["judge"]
    assert results["set"]["frechet_judge_distance"] is None
    reasons = {entry["file"]: entry["reason"] for entry in results["failed"]}
    assert reasons == {named[1]: "not a MIDI or MusicXML file", named[2]: "not found"}
    assert not (tmp_path / "run" / "wandb").exists()


def test_nothing_scorable_is_one_line_and_exit_2(pieces, tmp_path):
    bad = f"inputs=[{pieces / 'corrupt.mid'},{pieces / 'empty.mid'}]"
    run = evaluate(bad, f"hydra.run.dir={tmp_path}", cwd=tmp_path)
    assert run.returncode == 2
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("deepchorale evaluate: error: no file could be scored (2 failed")
    assert not (tmp_path / "results.json").exists()


def test_reading_rules_for_musicxml_and_fewer_tracks(corpus, tmp_path):
    from deepchorale.apps.evaluate import read_piece, voice_slots
    from deepchorale.data.corpus import corpus_files

    score = next(p for p in corpus_files("bach") if p.suffix in (".mxl", ".xml"))
    assert read_piece(score).pitches.shape[0] == 4
    assert [voice_slots(n) for n in (1, 2, 3, 4)] == [[0], [0, 3], [0, 1, 3], [0, 1, 2, 3]]
    midi = to_midi(corpus.chorales[0])
    midi.instruments = [midi.instruments[0], midi.instruments[3]]  # soprano and bass only
    midi.write(str(tmp_path / "duet.mid"))
    duet = read_piece(tmp_path / "duet.mid")
    assert (duet.pitches[1:3] == -1).all() and (duet.pitches[[0, 3]] >= 0).any(axis=1).all()
