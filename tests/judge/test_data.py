"""`JudgeDataModule`: balanced, transposed training windows; fixed evaluation windows per split."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch

from deepchorale.data.convert import to_midi
from deepchorale.judge.data import JudgeDataModule, RandomWindows
from deepchorale.judge.negatives import FAMILY_NAMES
from deepchorale.judge.net import judge_input
from tests.conftest import CACHE_DIR

FAMILIES = ["other_composers", "random_chords", "shuffled_bars", "voice_off_key"]


@pytest.fixture(scope="module")
def data() -> JudgeDataModule:
    module = JudgeDataModule(
        cache_dir=str(CACHE_DIR),
        families=FAMILIES,
        composers=["palestrina", "monteverdi", "haydn"],
        files_per_composer=3,
        train_copies=2,
        batch_size=16,
        batches_per_epoch=6,
        eval_batch_size=64,
    )
    module.setup()
    return module


def test_negatives_come_from_the_same_split_as_the_positives(data):
    for split in ("train", "val", "test"):
        bach_ids = {c.id for c in data.positives.chorales(split)}
        shuffled = data.pieces[split][FAMILY_NAMES.index("shuffled_bars")]
        assert {c.id.removeprefix("shuffled_bars-") for c in shuffled} == bach_ids
    assert data.family_sizes("train")["random_chords"] == 2 * data.family_sizes("train")["bach"]
    assert set(data.family_sizes("train")) == {"bach", *FAMILIES}


def test_training_batches_are_balanced_with_one_random_length_each(data):
    lengths = set()
    for batch in data.train_dataloader():
        families = Counter(batch["family"].tolist())
        assert families[0] == 8  # half Bach
        negatives = [families[FAMILY_NAMES.index(name)] for name in FAMILIES]
        assert max(negatives) - min(negatives) <= 1  # the families dealt in turn
        batch_size, channels, length, pitches = batch["rolls"].shape
        assert (batch_size, channels, pitches) == (16, 2, 84) and batch["valid"].shape == (16, length)
        assert 32 <= length <= 128 and length % 8 == 0
        lengths.add(length)
    assert len(lengths) > 1


def test_training_windows_are_transposed_by_up_to_six_semitones(data):
    chorale = data.positives.chorales("train")[0]
    windows = RandomWindows({0: [chorale]}, transpose=6)
    original = torch.from_numpy(judge_input(chorale.pitches, chorale.onsets))
    torch.manual_seed(0)
    shifts = set()
    for _ in range(20):
        rolls = windows[(0, 0, chorale.num_steps)]["rolls"]  # the whole piece: only the key is random
        matches = [s for s in range(-6, 7) if torch.equal(rolls, torch.roll(original, s, dims=-1))]
        assert len(matches) == 1
        shifts.add(matches[0])
    assert len(shifts) > 3


def test_evaluation_windows_are_fixed_and_cover_every_family(data):
    first, again = (list(data.val_dataloader()) for _ in range(2))
    assert all(torch.equal(a["rolls"], b["rolls"]) for a, b in zip(first, again))
    families = torch.cat([batch["family"] for batch in first])
    assert set(families.tolist()) == {0, *(FAMILY_NAMES.index(name) for name in FAMILIES)}
    assert all(batch["rolls"].shape[2] == 64 for batch in first)
    assert len(data.test_dataloader().dataset) > 0


def test_a_generated_dir_adds_the_generated_family(tmp_path, manifest, by_id):
    for index, id in enumerate(manifest["train"][:30]):
        to_midi(by_id[id]).write(str(tmp_path / f"sample{index}.mid"))
    module = JudgeDataModule(
        cache_dir=str(CACHE_DIR), families=["random_chords"], generated_dir=str(tmp_path)
    )
    assert module.family_names == ["random_chords", "generated"]
    sizes = [module.family_sizes(split).get("generated", 0) for split in ("train", "val", "test")]
    assert sum(sizes) == 30 and sizes[0] > sizes[1]
    with pytest.raises(ValueError, match="unknown negative families"):
        JudgeDataModule(families=["nonsense"])


def test_window_padding_is_marked_invalid(data):
    chorale = data.positives.chorales("val")[0].crop(0, 20)
    item = RandomWindows({0: [chorale]}, transpose=0)[(0, 0, 64)]
    assert item["valid"].sum() == 20 and not np.any(item["rolls"][:, 20:].numpy())
