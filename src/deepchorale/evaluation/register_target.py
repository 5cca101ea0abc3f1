"""The register target of issue #23: a piece sits where Bach's do when every voice's mean pitch lies
inside the p5-p95 of the means of Bach's pieces (each voice on its own).

Rows are `evaluation.metrics.compute_metrics` dicts (their `mean_pitch/<voice>` figures). The band
comes from the rows given, usually the Bach test split's; reading the same test on Bach's pieces
that did not set the band says how often Bach himself meets it (`benchmarks/music_quality.py`,
`benchmarks/turing_test.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from deepchorale.data.chorale import VOICES

VOICE_MEANS = tuple(f"mean_pitch/{voice}" for voice in VOICES)


@dataclass(frozen=True)
class VoiceMeanBands:
    """Each voice's (p5, p95) of per-piece mean pitches, MIDI."""

    bands: Mapping[str, tuple[float, float]]

    @classmethod
    def of(cls, rows: Sequence[Mapping[str, float]]) -> VoiceMeanBands:
        bands = {name: np.nanpercentile([row[name] for row in rows], [5, 95]) for name in VOICE_MEANS}
        return cls({name: (float(low), float(high)) for name, (low, high) in bands.items()})

    def holds(self, row: Mapping[str, float]) -> bool:
        """Every voice's mean inside its band."""
        return all(low <= row[name] <= high for name, (low, high) in self.bands.items())

    def share(self, rows: Sequence[Mapping[str, float]]) -> float:
        """The share of `rows` that meet the target."""
        return float(np.mean([self.holds(row) for row in rows]))
