import functools
import subprocess
import sys
from pathlib import Path

import hydra
import pytest
import torch

from deepchorale.models.coconet import Coconet
from deepchorale.models.weights import (
    WeightsError,
    check_model_config,
    load_model,
    load_training_module,
    read_weights,
    save_weights,
)
from deepchorale.training.coconet import CoconetModule

REPO = Path(__file__).resolve().parents[2]
TINY = {
    "_target_": "deepchorale.training.coconet.CoconetModule",
    "net": {"_target_": "deepchorale.models.coconet.CoconetNet", "num_layers": 2, "num_filters": 4},
    "optimizer": {"_target_": "torch.optim.Adam", "_partial_": True, "lr": 0.001},
}


def test_weights_round_trip_with_weights_only(tmp_path):
    model = hydra.utils.instantiate(TINY)
    path = save_weights(model.state_dict(), TINY, tmp_path / "w.pt", {"command": "deepchorale train"})
    blob = torch.load(path, weights_only=True)
    assert blob["metadata"]["command"] == "deepchorale train"
    loaded = load_model(path)
    assert type(loaded) is Coconet  # the plain model inference holds, not the training module
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), model.state_dict().values()))
    assert not loaded.training
    module = load_training_module(path)
    assert type(module) is CoconetModule and module.state_dict().keys() == model.state_dict().keys()


def test_inference_loads_weights_without_lightning(tmp_path):
    path = save_weights(hydra.utils.instantiate(TINY).state_dict(), TINY, tmp_path / "w.pt")
    script = (
        "import sys; from deepchorale.models.weights import load_model; import deepchorale.compose.pipeline; "
        f"load_model({str(path)!r}); print(sorted(m for m in sys.modules if m.startswith('lightning.')))"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_a_file_of_another_kind_is_refused_by_name(tmp_path):
    path = save_weights(hydra.utils.instantiate(TINY).state_dict(), TINY, tmp_path / "w.pt")
    with pytest.raises(WeightsError, match="holds coconet weights, not judge"):
        load_model(path, kind="judge")


SHIPPED = [*sorted(REPO.glob("experiments/pretrained/*/weights.pt")), REPO / "evaluation/judge/weights.pt"]


@pytest.mark.parametrize("path", [str(p.relative_to(REPO)) for p in SHIPPED])
def test_every_shipped_weights_file_passes_the_config_check(path):
    check_model_config(read_weights(REPO / path)["model"], path)


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
    wrong = {"net.input.weight": torch.zeros(5, 5)}
    path = save_weights(wrong, TINY, tmp_path / "w.pt")
    with pytest.raises(WeightsError, match="does not fit"):
        load_model(path)


def test_a_file_carrying_code_is_refused_unexecuted(tmp_path):
    path = tmp_path / "code.pt"
    torch.save({"format": "deepchorale-weights/1", "model": functools.partial(print, "ran")}, path)
    with pytest.raises(WeightsError, match="not a readable weights file"):
        read_weights(path)
