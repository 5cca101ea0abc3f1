"""Yang & Lerch distances, Fréchet distance and bootstrap intervals on hand-checkable sets."""

import math

import numpy as np
import pytest

from deepchorale.evaluation.distances import (
    bootstrap_ci,
    feature_distance,
    frechet_distance,
    inter_set_distances,
    intra_set_distances,
    set_distances,
)


def test_pairwise_distances_by_hand():
    assert sorted(intra_set_distances(np.array([0.0, 1.0, 3.0]))) == [1.0, 2.0, 3.0]
    assert sorted(inter_set_distances(np.array([10.0]), np.array([0.0, 1.0]))) == [9.0, 10.0]


def test_identical_sets_overlap_almost_fully():
    values = np.random.default_rng(0).normal(0, 1, 200)
    distance = feature_distance(values, values)
    # inter includes the 200 zero self-distances, so the two densities are close but not equal
    assert distance["overlap_area"] > 0.9 and distance["kl_divergence"] < 0.05
    assert "note" not in distance


def test_far_apart_sets_do_not_overlap():
    rng = np.random.default_rng(0)
    distance = feature_distance(rng.normal(100, 1, 50), rng.normal(0, 1, 50))
    assert distance["overlap_area"] < 1e-3
    assert distance["kl_divergence"] > 10
    assert distance["inter_mean"] == pytest.approx(100, abs=1)


def test_constant_feature_is_skipped_with_a_note():
    distance = feature_distance([1.0, 1.0], [1.0, 1.0, 1.0])
    assert math.isnan(distance["overlap_area"]) and math.isnan(distance["kl_divergence"])
    assert "constant" in distance["note"]
    assert "too few" in feature_distance([1.0], [2.0, None])["note"]


def test_set_distances_takes_metric_rows_and_ignores_undefined_values():
    rows = [{"a": 1.0, "b": 2.0}, {"a": 2.0, "b": float("nan")}, {"a": 1.5}]
    distances = set_distances(rows, {"a": [1.0, 2.0, 1.2, 1.7], "c": [0.0, 1.0]})
    assert list(distances) == ["a"] and 0 < distances["a"]["overlap_area"] <= 1


def test_frechet_distance_of_gaussians():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, (2000, 3))
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-6)
    shift = np.array([3.0, 0.0, 4.0])
    assert frechet_distance(a, a + shift) == pytest.approx(25.0, rel=1e-6)  # |shift|² = 9 + 16
    with pytest.raises(ValueError):
        frechet_distance(a[:1], a)


def test_bootstrap_interval_contains_the_mean():
    values = np.random.default_rng(1).normal(5, 2, 100)
    low, high = bootstrap_ci(values, seed=0)
    assert low < values.mean() < high
    assert high - low == pytest.approx(2 * 1.96 * values.std() / 10, rel=0.25)
    assert bootstrap_ci(values, seed=0) == (low, high)  # seeded: reproducible
    assert all(math.isnan(x) for x in bootstrap_ci([]))
