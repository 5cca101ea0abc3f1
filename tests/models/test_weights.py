import functools

import pytest
import torch
from omegaconf import OmegaConf

from deepchorale.models.weights import WeightsError, load_model, read_weights, save_weights

TINY = {
    "_target_": "torch.nn.Sequential",
    "_args_": [{"_target_": "torch.nn.Linear", "in_features": 3, "out_features": 2}],
}


def test_weights_round_trip_with_weights_only(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(3, 2))
    path = save_weights(model.state_dict(), TINY, tmp_path / "w.pt", {"command": "deepchorale train"})
    blob = torch.load(path, weights_only=True)
    assert blob["metadata"]["command"] == "deepchorale train"
    loaded = load_model(path)
    assert torch.equal(loaded[0].weight, model[0].weight)
    assert not loaded.training


def test_corrupt_foreign_and_missing_files_get_clear_errors(tmp_path):
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x00garbage")
    with pytest.raises(WeightsError, match="not a readable weights file"):
        read_weights(corrupt)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(2)}, foreign)
    with pytest.raises(WeightsError, match="not a deepchorale weights file"):
        read_weights(foreign)
    with pytest.raises(WeightsError, match="not found"):
        read_weights(tmp_path / "absent.pt")


def test_weights_that_do_not_fit_their_config_are_refused(tmp_path):
    wrong = {"0.weight": torch.zeros(5, 5), "0.bias": torch.zeros(5)}
    path = save_weights(wrong, OmegaConf.to_container(OmegaConf.create(TINY)), tmp_path / "w.pt")
    with pytest.raises(WeightsError, match="does not fit"):
        load_model(path)


def test_a_file_carrying_code_is_refused_unexecuted(tmp_path):
    path = tmp_path / "code.pt"
    torch.save({"format": "deepchorale-weights/1", "model": functools.partial(print, "ran")}, path)
    with pytest.raises(WeightsError, match="not a readable weights file"):
        read_weights(path)
