"""Register-outlier rate: notes outside the register Bach's voices normally keep to.

The bands are derived from the training split of the committed manifest (`register_bands`) and
stored in `evaluation/reference/bach_registers.json` (read by `data.registers`), which
`python -m deepchorale.evaluation.reference` rebuilds (deterministic; the tests check the stored
file against a fresh computation).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from deepchorale.data.chorale import VOICES, Chorale
from deepchorale.data.registers import bach_bands
from deepchorale.evaluation.metrics.grid import mean_per_voice, notes

PERCENTILES = (2, 98)


def register_bands(chorales: Sequence[Chorale], percentiles: tuple[float, float] = PERCENTILES) -> np.ndarray:
    """(4, 2) int: each voice's `percentiles` of the pitches of its notes (each note counted once).

    Percentiles by the inverted CDF, so a band's ends are pitches that occur: the low end is the
    lowest pitch with at least 2% of the voice's notes at or below it, the high end the lowest with
    at least 98%.
    """
    found = [notes(chorale) for chorale in chorales]
    voice = np.concatenate([n.voice for n in found])
    pitch = np.concatenate([n.pitch for n in found])
    return np.array(
        [np.percentile(pitch[voice == v], percentiles, method="inverted_cdf") for v in range(len(VOICES))],
        np.int64,
    )


def register_outlier_rate(chorale: Chorale) -> dict[str, float]:
    """Share of notes below their voice's p2 or above its p98 in Bach, per voice and over all notes.

    The bands are the 2nd and 98th percentiles of each voice's note pitches over Bach's training
    split (`register_bands`): S 62-78, A 58-71, T 53-66, B 41-60, which leave out 2.4% of the
    training notes (a chorale in a high or low key more, most fewer: per piece 2% on average, the
    median 1%). Notes are counted once each, whatever their length. NaN for a voice (or piece)
    without notes.

    Unlike `range_violation_rate`, whose generous textbook ranges only catch the unsingable, this
    sees a texture voiced consistently higher or lower than Bach's, or one voice drifting out of
    its register.

    Source: ours, Bach's empirical per-voice registers (issue 22: a generated track voiced above
    Bach's p95 in every voice passed the textbook ranges); those ranges are Kostka & Payne's and
    Aldwell & Schachter's (`range_violation_rate`).
    """
    found = notes(chorale)
    bands = bach_bands()
    outside = (found.pitch < bands[found.voice, 0]) | (found.pitch > bands[found.voice, 1])
    return mean_per_voice(found.voice, outside)
