from pathlib import Path

import hydra
import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_module
from hydra.errors import InstantiationException

from deepchorale.data.convert import ONEHOT_LOW, ONEHOT_PITCHES
from tests.conftest import CACHE_DIR

JSB = Path(__file__).resolve().parents[3] / "shared" / "data" / "jsb" / "Jsb16thSeparated.json"


def compose_data(*overrides: str):
    with initialize_config_module("deepchorale.conf", version_base="1.3"):
        cfg = compose("data", overrides=[f"paths.cache_dir={CACHE_DIR}", *overrides])
    return hydra.utils.instantiate(cfg.data)


def check_batch(batch, size, length):
    pitches = batch["pitches"]
    assert pitches.shape == (size, 4, length) and pitches.dtype == torch.int64
    assert batch["onsets"].shape == (size, 4, length) and batch["valid"].shape == (size, length)
    onehot = batch["onehot"]
    assert onehot.shape == (size, 4, length, ONEHOT_PITCHES)
    sounding = pitches >= 0
    assert torch.equal(onehot.sum(-1), sounding.float())
    assert torch.equal(onehot.argmax(-1)[sounding] + ONEHOT_LOW, pitches[sounding])
    roll = batch["pianoroll"]
    assert roll.shape == (size, length, 128)
    assert (roll.sum(-1) <= sounding.sum(1)).all()


def test_configured_datamodule_yields_all_views():
    datamodule = compose_data(
        "data.views=[pitches,onehot,pianoroll]", "data.batch_size=8", "data.crop_length=48"
    )
    datamodule.prepare_data()
    datamodule.setup("fit")
    train = next(iter(datamodule.train_dataloader()))
    check_batch(train, 8, 48)
    assert train["valid"].all()
    assert len(datamodule.train_dataloader().dataset) == 8 * len(datamodule.chorales("train"))
    val_windows = datamodule.val_dataloader().dataset
    assert sum(int(item["valid"].sum()) for item in val_windows) == sum(
        c.num_steps for c in datamodule.chorales("val")
    )


def test_training_batches_are_reproducible_under_a_seed():
    datamodule = compose_data("data.batch_size=4")
    datamodule.setup("fit")
    batches = []
    for _ in range(2):
        torch.manual_seed(7)
        batches.append(next(iter(datamodule.train_dataloader()))["pitches"])
    assert torch.equal(*batches)


def test_unknown_view_is_refused():
    with pytest.raises(InstantiationException, match="unknown data views"):
        compose_data("data.views=[spectrogram]")


@pytest.mark.skipif(not JSB.is_file(), reason="the JSB Chorales JSON is not on this machine")
def test_jsb_split_is_the_canonical_one():
    datamodule = compose_data("data=jsb", f"data.path={JSB}", "data.views=[pitches,onehot,pianoroll]")
    datamodule.setup("fit")
    assert [len(datamodule.chorales(s)) for s in ("train", "val", "test")] == [229, 76, 77]
    check_batch(next(iter(datamodule.test_dataloader())), 32, 64)
    rests = np.concatenate([c.pitches for c in datamodule.chorales("train")], axis=1) < 0
    assert rests.mean() < 0.01  # the JSB data has about 0.35% rests


def test_missing_jsb_file_explains_itself(tmp_path):
    datamodule = compose_data("data=jsb", f"data.path={tmp_path / 'absent.json'}")
    with pytest.raises(FileNotFoundError, match="czhuang/JSB-Chorales-dataset"):
        datamodule.prepare_data()
