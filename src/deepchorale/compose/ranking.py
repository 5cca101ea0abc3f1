"""How compose chooses between harmony candidates: our judge, kept honest by the parallels rule.

Our judge's score of one tune's harmonisations varies from a few points to 80 with the seed
alone (benchmarks/music_quality.py), so drawing a few and keeping the best buys more than any
sampler setting. The judge hears voice motion but not every parallel, so they are charged too.
"""

from __future__ import annotations

from deepchorale.data.chorale import Chorale
from deepchorale.evaluation.judge_scoring import judge_score
from deepchorale.evaluation.metrics.parallel_fifths import parallel_fifths
from deepchorale.evaluation.metrics.parallel_octaves import parallel_octaves
from deepchorale.models.judge import JudgeModule

PARALLELS_COST = 1000.0  # judge points per parallel per transition: one in 100 transitions costs 10


def candidate_score(judge: JudgeModule | None, chorale: Chorale) -> float:
    """The judge's score (100 P(Bach); 0 without a judge) minus the cost of its parallel fifths
    and octaves per chord transition."""
    parallels = parallel_fifths(chorale) + parallel_octaves(chorale)
    return (judge_score(judge, chorale) if judge is not None else 0.0) - PARALLELS_COST * parallels
