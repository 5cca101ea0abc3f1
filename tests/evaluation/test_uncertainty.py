"""The interval select ranks by and a suite reports: around its statistic, none from one value."""

import math

import pytest

from deepchorale.evaluation.uncertainty import estimate


def test_the_interval_holds_the_statistic_and_is_the_same_every_time():
    scores = [5.0, 80.0, 40.0, 62.0, 11.0, 90.0]
    found = estimate(scores, "mean", level=0.9)
    assert found.low < found.value < found.high and found.count == 6
    assert found.value == pytest.approx(48.0)
    assert estimate(scores, "mean", level=0.9) == found
    assert estimate(scores, "mean", level=0.5).low > found.low  # a lower level, a narrower interval
    assert estimate(scores, "median").value == pytest.approx(51.0)
    assert found.bound("max") == found.low and found.bound("min") == found.high


def test_one_value_has_no_interval_and_bad_settings_are_refused():
    alone = estimate([99.0])
    assert alone.value == 99.0 and alone.low == -math.inf and alone.high == math.inf
    with pytest.raises(ValueError, match="statistic 'mode'"):
        estimate([1.0, 2.0], "mode")
    with pytest.raises(ValueError, match="confidence level"):
        estimate([1.0, 2.0], level=1.5)
