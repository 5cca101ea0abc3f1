"""Parallel (consecutive) fifths per chord transition, the first rule of four-part writing."""

from __future__ import annotations

from deepchorale.data.chorale import Chorale
from deepchorale.evaluation.metrics.parallel_motion import parallel_motion_rate

PERFECT_FIFTH = 7


def parallel_fifths(chorale: Chorale) -> float:
    """Voice pairs that move in similar motion from a perfect fifth to a perfect fifth, per transition.

    Defined in `parallel_motion.parallel_motion_rate` with interval class 7: compound fifths
    (twelfths) count, so do fifths between crossed voices; a pair reaching a fifth by contrary or
    oblique motion does not. Bach almost never writes them, random voicings often do.

    Source: the common-practice prohibition of consecutive perfect fifths, e.g. Fux, *Gradus ad
    Parnassum* (1725); Aldwell & Schachter, *Harmony and Voice Leading*; Huron, "Tone and Voice",
    Music Perception 19(1), 2001 (why: parallel perfect consonances fuse two voices into one).
    """
    return parallel_motion_rate(chorale, PERFECT_FIFTH)
