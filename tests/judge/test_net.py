"""The Bach judge: inputs of any length and voice count, the net, and a short real training."""

from __future__ import annotations

import functools
import json
import subprocess
import sys

import lightning.pytorch as pl
import numpy as np
import pytest
import torch

from deepchorale.data.chorale import REST
from deepchorale.judge.data import JudgeDataModule
from deepchorale.judge.negatives import random_chords
from deepchorale.judge.net import JUDGE_LOW, JUDGE_PITCHES, JudgeNet, judge_features, judge_input
from deepchorale.judge.report import auc
from deepchorale.judge.scoring import judge_probabilities
from deepchorale.training.judge import JudgeModule
from tests.conftest import CACHE_DIR, REPO

TINY_NET = {"channels": (8, 16, 24, 32), "embedding_dim": 32}


def random_voices(voices: int, steps: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pitches = rng.integers(40, 90, size=(voices, steps)).astype(np.int16)
    pitches[rng.random((voices, steps)) < 0.1] = REST
    return pitches, (pitches != REST) & (rng.random((voices, steps)) < 0.5)


@pytest.mark.parametrize("voices", [1, 2, 3, 4, 6])
def test_judge_input_merges_any_number_of_voices(voices):
    pitches, onsets = random_voices(voices, 24)
    rolls = judge_input(pitches, onsets)
    assert rolls.shape == (2, 24, JUDGE_PITCHES)
    for step in range(24):
        sounding = {int(p) for p in pitches[:, step] if p != REST}
        assert set(np.flatnonzero(rolls[0, step]) + JUDGE_LOW) == sounding
    assert np.all(rolls[1] <= rolls[0])  # an onset is a sounding note


def test_judge_input_folds_pitches_outside_its_range_by_octaves():
    rolls = judge_input(np.array([[10, 120]]), np.ones((1, 2), bool))
    assert np.flatnonzero(rolls[0, 0]) + JUDGE_LOW == [34] and np.flatnonzero(rolls[0, 1]) + JUDGE_LOW == [96]


def test_interval_channels_name_the_pitch_classes_sounding_above_each_note():
    c_major = np.array([[48], [64], [67]])  # C3, E4, G4
    features = judge_features(torch.from_numpy(judge_input(c_major, np.ones((3, 1), bool)))[None])
    intervals = features[0, 2:13, 0]  # (11, 84)
    for pitch, expected in ((48, {4, 7}), (64, {3, 8}), (67, {5, 9})):
        assert {k + 1 for k in np.flatnonzero(intervals[:, pitch - JUDGE_LOW])} == expected
    assert intervals.sum() == 6  # silent cells carry nothing


def test_motion_channels_say_how_far_each_onset_moved_from_the_step_before():
    # Two voices: C4 -> D4 (a step) then held; E2 -> E3 (a leap: C4 before is 8 semitones away).
    pitches = np.array([[60, 62, 62], [40, 52, 52]])
    onsets = np.array([[True, True, False], [True, True, False]])
    features = judge_features(torch.from_numpy(judge_input(pitches, onsets))[None])
    motion = features[0, 13:]  # (4 reaches: 0, 2, 4, 7 semitones, T, 84)
    assert motion[:, 0].sum() == 0  # nothing sounds before the first step
    assert motion[:, 1, 62 - JUDGE_LOW].tolist() == [0, 1, 1, 1]  # a step: within 2 and more
    assert motion[:, 1, 52 - JUDGE_LOW].tolist() == [0, 0, 0, 0]  # within no reach
    assert motion[:, 2].sum() == 0  # held notes have no onset
    assert motion.sum() == 3


@pytest.mark.parametrize("steps", [1, 7, 32, 64, 160])
def test_judge_net_takes_any_window_length_and_voice_count(steps):
    net = JudgeNet(**TINY_NET).eval()
    rolls = torch.stack([torch.from_numpy(judge_input(*random_voices(v, steps, v))) for v in (1, 3, 4, 6)])
    logits, embeddings = net(rolls)
    assert logits.shape == (4,) and embeddings.shape == (4, 32)
    assert torch.isfinite(logits).all() and torch.isfinite(embeddings).all()
    assert torch.equal(net.embed(rolls), embeddings)


def test_auc_is_the_share_of_correctly_ordered_pairs_ties_half():
    rng = np.random.default_rng(0)
    positive, negative = rng.integers(0, 5, 40).astype(float), rng.integers(0, 5, 30).astype(float)
    pairs = (positive[:, None] > negative) + 0.5 * (positive[:, None] == negative)
    assert auc(positive, negative) == pytest.approx(pairs.mean())


def test_a_short_training_ranks_held_out_bach_above_random_chords(tmp_path):
    torch.manual_seed(0)
    data = JudgeDataModule(
        cache_dir=str(CACHE_DIR),
        families=["random_chords", "note_noise"],
        train_copies=1,
        max_length=64,
        batch_size=32,
        batches_per_epoch=25,
    )
    model = JudgeModule(JudgeNet(**TINY_NET), functools.partial(torch.optim.AdamW, lr=3e-3))
    trainer = pl.Trainer(
        accelerator="cpu",
        max_epochs=2,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
    )
    trainer.fit(model, datamodule=data)
    assert trainer.callback_metrics["val/auc/random_chords"] > 0.9
    bach = data.positives.chorales("val")
    chords = random_chords([c.num_steps for c in bach], np.random.default_rng(123))
    assert judge_probabilities(model.net, bach).mean() > 0.7
    assert judge_probabilities(model.net, chords).mean() < 0.3

    # Checkpoints hold plain data only: they load with weights_only=True into a fresh module.
    trainer.save_checkpoint(tmp_path / "judge.ckpt")
    checkpoint = torch.load(tmp_path / "judge.ckpt", weights_only=True)
    fresh = JudgeModule(JudgeNet(**TINY_NET), functools.partial(torch.optim.AdamW))
    fresh.load_state_dict(checkpoint["state_dict"])
    assert np.allclose(judge_probabilities(fresh.net, bach[:4]), judge_probabilities(model.net, bach[:4]))


def test_loading_and_scoring_with_the_judge_imports_no_negatives_nor_other_composers():
    # A fresh interpreter: this one has imported the negatives already (for the tests above).
    script = """
import json, sys
import numpy as np
from deepchorale.data.chorale import Chorale
from deepchorale.judge.scoring import judge_score
from deepchorale.models.weights import load_model

judge = load_model("experiments/pretrained/critic/weights.pt")
chord = np.array([[72], [67], [64], [48]]).repeat(32, 1)
score = judge_score(judge, Chorale("c", chord, chord > 0, np.zeros(32, bool)))
print(json.dumps({"score": score, "modules": sorted(sys.modules)}))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert 0 <= result["score"] <= 100
    modules = set(result["modules"])
    assert {"deepchorale.judge.net", "deepchorale.judge.scoring"} <= modules  # seen
    assert "deepchorale.judge.negatives" not in modules and "lightning.pytorch" not in modules
    assert "deepchorale.judge.other_composers" not in modules
