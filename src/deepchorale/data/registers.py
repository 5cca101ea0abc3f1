"""Where Bach's voices sing: each voice's register band (p2-p98 of its note pitches) and median
pitch over the chorales' training split, as committed in `evaluation/reference/bach_registers.json`.

`evaluation.metrics.register_outlier_rate` computes them (`python -m deepchorale.evaluation.reference`
rebuilds the file, and a test checks it against a fresh computation); compose places a tune by them
and the voice-leading prior's `register` rule keeps the lower voices inside them.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np

from deepchorale.data.chorale import VOICES

BANDS_PATH = Path(__file__).resolve().parents[3] / "evaluation" / "reference" / "bach_registers.json"


@cache
def bach_bands() -> np.ndarray:
    """The committed bands, (4, 2) MIDI pitches (lowest, highest) per voice, soprano first."""
    stored = json.loads(BANDS_PATH.read_text())["bands"]
    return np.array([stored[voice] for voice in VOICES], np.int64)


@cache
def bach_medians() -> np.ndarray:
    """The committed median note pitch per voice, (4,) MIDI, soprano first: where each voice centres."""
    stored = json.loads(BANDS_PATH.read_text())["medians"]
    return np.array([stored[voice] for voice in VOICES], np.int64)
