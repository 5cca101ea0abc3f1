"""experiments/own_data: the shipped Palestrina Coconet and judge load, and the Coconet records the
registers its card and the folder's own reference name."""

from deepchorale.data.registers import read_registers, registers_from_json
from deepchorale.models.weights import load_model, read_weights
from tests.conftest import REPO

OWN_DATA = REPO / "experiments" / "own_data"


def test_the_palestrina_coconet_carries_its_corpus_registers_and_its_judge_loads():
    weights = OWN_DATA / "coconet_palestrina" / "weights.pt"
    stored = registers_from_json(read_weights(weights)["metadata"]["registers"], "the Palestrina Coconet")
    reference = read_registers(OWN_DATA / "reference" / "registers.json")
    assert stored.bands == reference.bands and stored.medians == reference.medians
    assert stored.summary() == "S 62-77, A 57-74, T 52-69, B 46-67"  # as its model card says
    load_model(weights, kind="coconet")
    judge = read_weights(OWN_DATA / "judge_palestrina" / "weights.pt")
    assert judge["model"]["net"]["_target_"].endswith("RegisterJudgeNet")
    load_model(OWN_DATA / "judge_palestrina" / "weights.pt", kind="judge")
