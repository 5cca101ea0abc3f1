"""The committed Bach reference statistics are what a fresh build on the test split gives."""

import pytest

from deepchorale.data.datamodule import ChoraleDataModule
from deepchorale.evaluation.reference import build_reference, read_reference
from tests.conftest import CACHE_DIR


def test_committed_reference_matches_a_fresh_build():
    committed = read_reference()
    fresh = build_reference(ChoraleDataModule(cache_dir=str(CACHE_DIR)).chorales("test"))
    for key in ("split", "chorales", "ids", "steps"):
        assert committed[key] == fresh[key]
    assert committed["metrics"].keys() == fresh["metrics"].keys()
    for name, entry in fresh["metrics"].items():
        stored = committed["metrics"][name]
        assert stored["defined"] == entry["defined"]
        assert stored["values"] == pytest.approx(entry["values"], abs=1e-6), name
        assert (stored["mean"], stored["std"]) == pytest.approx((entry["mean"], entry["std"]), abs=1e-6)
    assert committed["pitch_histogram"] == pytest.approx(fresh["pitch_histogram"], abs=1e-6)
    assert sum(committed["pitch_histogram"]) == pytest.approx(1.0, abs=1e-4)
