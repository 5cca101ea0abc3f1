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
from tests.wandb_offline import offline_history


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


def evaluate_without_judge(inputs: str, logger: str, run_dir, cwd) -> None:
    judge = f"judge={cwd / 'no_judge.pt'}"
    run = evaluate(f"inputs={inputs}", judge, f"logger={logger}", f"hydra.run.dir={run_dir}", cwd=cwd)
    assert run.returncode == 0, run.stderr[-3000:]


def test_without_judge_weights_scores_are_null_with_a_note(pieces, tmp_path):
    named = [str(pieces / "first.mid"), str(pieces / "notes.txt"), str(tmp_path / "missing.mid")]
    evaluate_without_judge(f"[{','.join(named)}]", "none", tmp_path / "run", tmp_path)
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    (piece,) = results["files"]
    assert piece["judge_score"] is None and piece["combined_score"] is None
    assert "no judge weights" in results["set"]["judge"]
    assert results["set"]["frechet_judge_distance"] is None
    reasons = {entry["file"]: entry["reason"] for entry in results["failed"]}
    assert reasons[named[1]].startswith("unsupported format (use .mid, .midi, .xml")
    assert reasons == {named[1]: reasons[named[1]], named[2]: "not found"}
    assert not (tmp_path / "run" / "wandb").exists()


def test_nothing_scorable_is_one_line_and_exit_2(pieces, tmp_path):
    bad = f"inputs=[{pieces / 'corrupt.mid'},{pieces / 'empty.mid'}]"
    run = evaluate(bad, f"hydra.run.dir={tmp_path}", cwd=tmp_path)
    assert run.returncode == 2
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("deepchorale evaluate: error: no file could be scored (2 failed")
    assert not (tmp_path / "results.json").exists()


def test_the_run_logs_to_the_loggers_of_conf_logger(pieces, tmp_path):
    """`logger=csv` swaps W&B for Lightning's CSV logger: the app builds what conf/logger/ says."""
    evaluate_without_judge(str(pieces / "first.mid"), "csv", tmp_path, tmp_path)
    assert not (tmp_path / "wandb").exists()
    with open(tmp_path / "csv" / "version_0" / "metrics.csv", newline="") as handle:
        (row,) = csv.DictReader(handle)
    results = json.loads((tmp_path / "results.json").read_text())
    overlap = results["set"]["distances"]["pitch_range"]["overlap_area"]
    assert float(row["overlap_area/pitch_range"]) == pytest.approx(overlap)
    assert "judge_score_mean" not in row  # no judge weights: no mean to log
    assert (tmp_path / "csv" / "version_0" / "hparams.yaml").read_text().count("judge_window: 96") == 1


def test_reading_rules_for_musicxml_and_fewer_tracks(corpus, tmp_path):
    from deepchorale.data.corpus import corpus_files
    from deepchorale.evaluation.set_scoring import find_files, read_pieces

    score = next(p for p in corpus_files("bach") if p.suffix in (".mxl", ".xml"))
    midi = to_midi(corpus.chorales[0])
    midi.instruments = [midi.instruments[0], midi.instruments[3]]  # soprano and bass only
    midi.write(str(tmp_path / "duet.mid"))
    (tmp_path / "readme.txt").write_text("not music")
    files = find_files([tmp_path, score])
    assert list(files) == ["duet.mid", str(score)]
    names, (duet, chorale), failed = read_pieces(files)
    assert names == ["duet.mid", str(score)] and failed == []
    assert chorale.pitches.shape[0] == 4 and (chorale.pitches >= 0).any(axis=1).all()
    assert (duet.pitches[1:3] == -1).all() and (duet.pitches[[0, 3]] >= 0).any(axis=1).all()


def test_the_csv_has_a_row_per_piece_and_empty_cells_for_missing_values(tmp_path):
    from deepchorale.evaluation.set_report import write_csv

    pieces = [
        {"file": "a.mid", "steps": 64, "key": "C major", "judge_score": None, "combined_score": None,
         "ks_pitch_distance": 0.25, "metrics": {"pitch_range": 12.0, "groove_consistency": float("nan")}},
        {"file": "b.mid", "steps": 32, "key": "A minor", "judge_score": 80.0, "combined_score": 70.0,
         "ks_pitch_distance": 0.5, "metrics": {"pitch_range": 7.0}},
    ]  # fmt: skip
    write_csv(tmp_path / "results.csv", pieces)
    with open(tmp_path / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["file"], r["pitch_range"], r["groove_consistency"]) for r in rows] == [
        ("a.mid", "12.0", ""),
        ("b.mid", "7.0", ""),
    ]
    assert rows[0]["judge_score"] == "" and rows[1]["judge_score"] == "80.0"


# compose at debug speed: a couple of Gibbs steps, one small revision, a few AR-CNN iterations (the
# AR-CNN step turned on, so that every stage compose has is reported)
QUICK_COMPOSE = ("harmonize.steps=2", "revise.rounds=1", "revise.proposals=1", "revise.steps=2",
                 "embellish.enabled=true", "embellish.iterations=5", "embellish.candidates=1",
                 "ornaments.candidates=2")  # fmt: skip
QUICK_TURING = ("mode=turing", "turing.chorales=4", f"turing.compose=[{','.join(map(repr, QUICK_COMPOSE))}]",
                "turing.discriminators.folds=2", "turing.discriminators.cnn_epochs=1",
                "bootstrap_resamples=50")  # fmt: skip


def test_the_turing_mode_reports_each_stage_and_the_control(manifest, tmp_path):
    run = evaluate(*QUICK_TURING, f"hydra.run.dir={tmp_path}", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["chorales"] == manifest["test"][:4] and results["seeds"] == [0]
    assert list(results["stages"]) == ["harmonize", "revise", "embellish", "ornament"]
    for result in [*results["stages"].values(), results["control"]]:
        for name in ("trees", "cnn"):
            figures = result["discriminators"][name]
            assert 0 <= figures["ci95"][0] <= figures["ci95"][1] <= 1 and 0 <= figures["auc"] <= 1
        assert len(result["features"]) == 10 and result["folds"] == 2
    for result in results["stages"].values():  # a harmonisation lines up with its source, window by window
        assert result["windows"]["bach"] == result["windows"]["generated"] > 0 and result["chorales"] == 4
    assert [len(half) for half in results["control"]["halves"]] == [20, 20]  # the whole test split
    assert "automated Turing test" in run.stdout and "control (Bach vs Bach)" in run.stdout
    (wandb_run,) = (tmp_path / "wandb").glob("offline-run-*")
    logged = {key for row in offline_history(wandb_run) for key in row}
    tables = {"turing/_type", "turing_features/_type"}  # a logged wandb.Table
    assert tables | {"turing/harmonize/trees/auc", "turing/control/cnn/auc"} <= logged


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("turing.chorales=2", "turing.chorales 2 must be in 4-40 (the test split)"),
        ("turing.discriminators.discriminators=[svm]", "discriminators must be some of trees, cnn"),
        ("turing.compose=['harmonize.no_such_knob=1']", "turing.compose: "),
    ],
)
def test_bad_turing_settings_are_one_line_and_exit_2(override, message, tmp_path):
    run = evaluate("mode=turing", override, "logger=none", f"hydra.run.dir={tmp_path}", cwd=tmp_path)
    assert run.returncode == 2
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("deepchorale evaluate: error: ") and message in line
    assert not (tmp_path / "results.json").exists()
