"""How compose judges its own harmonies: the critic (`judge/net.py`), kept honest by the parallels rule.

The critic's score of one tune's harmonisations varies widely with the seed alone, so drawing a
few and keeping the best buys more than any sampler setting; and the critic's windows say where a
harmonisation is weakest, which is where `compose.revise` redraws it. It hears voice motion but not
every parallel, so they are charged too. It is not the grade: tracks are graded by the evaluation
judge (`judge/register_net.py`), which nothing here consults.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from deepchorale.data.chorale import Chorale
from deepchorale.evaluation.metrics.parallel_fifths import parallel_fifths
from deepchorale.evaluation.metrics.parallel_octaves import parallel_octaves
from deepchorale.judge.net import JudgeNet
from deepchorale.judge.scoring import (
    SCORE_HOP,
    SCORE_WINDOW,
    judge_probabilities,
    judge_windows,
    window_starts,
)

PARALLELS_COST = 1000.0  # judge points per parallel per transition: one in 100 transitions costs 10


@dataclass(frozen=True)
class Critic:
    """Scores harmonisations: the judge's score (100 P(Bach); 0 without a judge) minus the cost of
    their parallel fifths and octaves per chord transition."""

    judge: JudgeNet | None

    def scores(self, chorales: Sequence[Chorale]) -> np.ndarray:
        parallels = np.array([parallel_fifths(c) + parallel_octaves(c) for c in chorales])
        judged = 100.0 * judge_probabilities(self.judge, chorales) if self.judge is not None else 0.0
        return judged - PARALLELS_COST * parallels

    def __call__(self, chorale: Chorale) -> float:
        return float(self.scores([chorale])[0])

    def weakest_windows(self, chorale: Chorale) -> list[int]:
        """Starts of the judge's `SCORE_WINDOW`-step windows of `chorale`, least Bach-like first."""
        if self.judge is None:
            raise ValueError("finding the weakest windows needs a judge")
        logits, _, _ = judge_windows(self.judge, [chorale])
        starts = window_starts(chorale.num_steps, SCORE_WINDOW, SCORE_HOP)
        return [starts[i] for i in np.argsort(logits.numpy(), kind="stable")]
