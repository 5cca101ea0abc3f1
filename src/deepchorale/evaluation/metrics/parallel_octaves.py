"""Parallel octaves and unisons per chord transition."""

from __future__ import annotations

from deepchorale.data.chorale import Chorale
from deepchorale.evaluation.metrics.parallel_motion import parallel_motion_rate

OCTAVE_OR_UNISON = 0


def parallel_octaves(chorale: Chorale) -> float:
    """Voice pairs that move in similar motion from an octave to an octave, per transition.

    Defined in `parallel_motion.parallel_motion_rate` with interval class 0: unisons count as
    octaves (two voices doubling one line), as do double octaves. Bach avoids them in the vocal
    parts; doubled voices moving together are a typical generator artefact.

    Source: the common-practice prohibition of consecutive octaves and unisons, e.g. Fux,
    *Gradus ad Parnassum* (1725); Aldwell & Schachter, *Harmony and Voice Leading*.
    """
    return parallel_motion_rate(chorale, OCTAVE_OR_UNISON)
