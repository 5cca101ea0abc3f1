"""How sure a figure measured on a few tracks is: a bootstrap confidence interval, and the bound
that `select` ranks configurations by.

One track's judge score swings from a few points to 80 with the seed alone
(experiments/compose_search/README.md), so a setting is measured on several tracks and reported as
a statistic with its interval. The interval is a percentile bootstrap of the statistic, resampled
with a fixed seed so the same tracks give the same interval. One value has no spread to resample:
its interval is unbounded, so a setting measured once never outranks one measured several times.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

STATISTICS = {"mean": np.mean, "median": np.median}


@dataclass(frozen=True)
class Estimate:
    value: float  # the statistic of the values
    low: float  # the interval's bounds (-inf, inf with fewer than two values)
    high: float
    count: int

    def bound(self, mode: str) -> float:
        """The pessimistic end: the lower bound of a figure to maximise, the upper of one to minimise."""
        return self.low if mode == "max" else self.high


def estimate(values: Sequence[float], statistic: str = "mean", level: float = 0.9, resamples: int = 2000,
             seed: int = 0) -> Estimate:  # fmt: skip
    """`statistic` of `values` with its `level` percentile-bootstrap confidence interval."""
    if statistic not in STATISTICS:
        raise ValueError(f"statistic {statistic!r}: choose {' or '.join(STATISTICS)}")
    if not 0 < level < 1:
        raise ValueError(f"confidence level {level!r}: give a fraction between 0 and 1")
    sample = np.asarray(values, dtype=float)
    if sample.size == 0:
        raise ValueError("no values to estimate from")
    compute = STATISTICS[statistic]
    value = float(compute(sample))
    if sample.size < 2:
        return Estimate(value, -math.inf, math.inf, 1)
    draws = np.random.default_rng(seed).choice(sample, size=(resamples, sample.size), replace=True)
    low, high = np.quantile(compute(draws, axis=1), [(1 - level) / 2, (1 + level) / 2])
    return Estimate(value, float(low), float(high), int(sample.size))
