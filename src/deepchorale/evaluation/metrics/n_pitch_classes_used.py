"""Number of pitch classes used (Dong et al. 2020, MusPy)."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import REST, Chorale


def n_pitch_classes_used(chorale: Chorale) -> float:
    """How many of the 12 pitch classes sound anywhere in the piece (0 for silence).

    Source: Dong et al., "MusPy", ISMIR 2020 (`muspy.n_pitch_classes_used`). Note that pypianoroll
    1.0.4's function of the same name is wrong (its chroma folding mixes pitch classes).
    """
    pitches = chorale.pitches[chorale.pitches != REST]
    return float(np.unique(pitches % 12).size)
