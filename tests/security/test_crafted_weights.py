"""Crafted weights files whose model config would run code when built: every one is refused first.

Each payload writes a canary file when Hydra instantiates it. The first test proves that (so the
files are real threats, not strawmen); the second loads each as a weights file and checks that it
is refused with a `WeightsError` and that the canary was never written. The last ones check that
the map of moved classes (`weights.MOVED`), which lets files naming a class by its old path load,
allows nothing new.
"""

import json
from pathlib import Path

import hydra
import pytest
import torch

from deepchorale.judge.net import JudgeNet
from deepchorale.models.weights import (
    FORMAT,
    MODULES,
    MOVED,
    NETS,
    WeightsError,
    load_model,
    read_weights,
    save_weights,
)

COCONET = "deepchorale.training.coconet.CoconetModule"
ADAM = {"_target_": "torch.optim.Adam", "_partial_": True, "lr": 0.001}
NET = {"_target_": "deepchorale.models.coconet.CoconetNet", "num_layers": 2, "num_filters": 4}


def write_text(canary) -> dict:
    """`pathlib.Path(canary).write_text("pwned")` as a Hydra config."""
    path = {"_target_": "pathlib.Path", "_args_": [str(canary)]}
    return {"_target_": "pathlib.Path.write_text", "_args_": [path, "pwned"]}


def payloads(canary) -> dict[str, dict]:
    return {
        "top-level target": write_text(canary),
        "nested net": {"_target_": COCONET, "net": write_text(canary), "optimizer": ADAM},
        "optimizer that is not an optimizer": {
            "_target_": COCONET,
            "net": NET,
            "optimizer": write_text(canary),
        },
        "_args_ of an allowed module": {
            "_target_": COCONET,
            "_args_": [write_text(canary)],
            "optimizer": ADAM,
        },
        "unknown key": {"_target_": COCONET, "net": NET, "optimizer": ADAM, "payload": write_text(canary)},
        "inside a list": {
            "_target_": "deepchorale.training.judge.JudgeModule",
            "net": {"_target_": "deepchorale.judge.net.JudgeNet", "channels": [write_text(canary)]},
            "optimizer": ADAM,
        },
        "our own writer": {  # an allowed package is not enough: save_weights writes files too
            "_target_": "deepchorale.models.weights.save_weights",
            "state_dict": {},
            "model_config": {},
            "path": str(canary),
        },
        "partial called later": {  # Lightning would call this "optimizer" at the start of training
            "_target_": COCONET,
            "net": NET,
            "optimizer": {"_target_": "numpy.savez", "_partial_": True, "file": str(canary)},
        },
        "torch.save as the model": {"_target_": "torch.save", "obj": 1, "f": str(canary)},
    }


CASES = sorted(payloads("x"))


@pytest.mark.parametrize("case", CASES)
def test_each_payload_writes_its_canary_when_built_blindly(tmp_path, case):
    canary = tmp_path / "canary.npz"  # numpy.savez insists on the suffix
    try:
        built = hydra.utils.instantiate(payloads(canary)[case])
        built.optimizer_factory(params=built.parameters())  # what Lightning calls when training starts
    except Exception:  # by the time building fails, the payload has run
        pass
    assert canary.exists()


@pytest.mark.parametrize("case", CASES)
def test_a_crafted_weights_file_is_refused_before_any_code_runs(tmp_path, case):
    canary = tmp_path / "canary.npz"  # numpy.savez insists on the suffix
    weights = tmp_path / "crafted.pt"
    torch.save({"format": FORMAT, "model": payloads(canary)[case], "state_dict": {}, "metadata": {}}, weights)
    torch.load(weights, weights_only=True)  # plain data: the pickle-level guard lets it through
    with pytest.raises(WeightsError, match=r"crafted.pt: model config refused at model"):
        load_model(weights)
    assert not canary.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crafted.pt"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"lr": "${oc.env:HOME}"}, "interpolation"),
        ({"_recursive_": False}, "Hydra key _recursive_"),
        ({"_partial_": False}, "must be a partial"),
        ({"_target_": ["torch.optim.Adam"]}, "is not one of deepchorale's models"),
    ],
)
def test_optimizer_tricks_are_refused(tmp_path, change, reason):
    weights = tmp_path / "w.pt"
    model = {"_target_": COCONET, "net": NET, "optimizer": {**ADAM, **change}}
    torch.save({"format": FORMAT, "model": model, "state_dict": {}, "metadata": {}}, weights)
    with pytest.raises(WeightsError, match=reason):
        load_model(weights)


def crafted_weights(tmp_path, model: dict):
    weights = tmp_path / "crafted.pt"
    torch.save({"format": FORMAT, "model": model, "state_dict": {}, "metadata": {}}, weights)
    return weights


def test_moved_classes_map_only_onto_allowed_classes():
    assert MOVED, "the shipped judge names its classes by their old paths"
    for old, new in MOVED.items():
        assert new in MODULES | NETS
        assert old not in MODULES | NETS, "an old path is renamed, never allowed as such"


def test_a_file_naming_the_judge_by_its_old_path_loads(tmp_path):
    # The shipped critic, written as judges were before they moved (to models/, then judge/ and training/).
    shipped = read_weights(Path(__file__).resolve().parents[2] / "experiments/pretrained/critic/weights.pt")
    assert shipped["model"]["_target_"] == "deepchorale.models.judge.JudgeModule"
    for home in ("deepchorale.evaluation.judge.", "deepchorale.models.judge."):
        old = json.loads(json.dumps(shipped["model"]).replace("deepchorale.models.judge.", home))
        path = save_weights(shipped["state_dict"], old, tmp_path / "old_judge.pt")
        assert isinstance(load_model(path), JudgeNet)


def test_an_old_path_carries_no_payload_past_the_check(tmp_path):
    canary = tmp_path / "canary.npz"
    model = {
        "_target_": "deepchorale.evaluation.judge.JudgeModule",
        "net": {"_target_": "deepchorale.evaluation.judge.JudgeNet", "channels": [write_text(canary)]},
        "optimizer": ADAM,
    }
    with pytest.raises(WeightsError, match=r"refused at model.net.channels\[0\]"):
        load_model(crafted_weights(tmp_path, model))
    assert not canary.exists()


@pytest.mark.parametrize(
    "target",
    [
        "deepchorale.evaluation.judge.judge_input",  # beside a moved class, but not one
        "deepchorale.judge.scoring.JudgeNet",  # a name the judge is imported under
        "deepchorale.evaluation.judge.JudgeModule.load_from_checkpoint",
    ],
)
def test_paths_near_a_moved_class_are_refused(tmp_path, target):
    with pytest.raises(WeightsError, match="is not one of deepchorale's models"):
        load_model(crafted_weights(tmp_path, {"_target_": target, "net": NET, "optimizer": ADAM}))
