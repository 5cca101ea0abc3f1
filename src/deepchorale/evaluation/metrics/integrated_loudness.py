"""Integrated loudness (ITU-R BS.1770) of rendered audio, in LUFS."""

from __future__ import annotations

import numpy as np

GATING_BLOCK_SECONDS = 0.4


def integrated_loudness(audio: np.ndarray, sample_rate: int) -> float:
    """Gated, K-weighted integrated loudness in LUFS of float audio, (samples,) or (samples, channels).

    K-weighting, 400 ms blocks with 75% overlap, absolute gate at −70 LUFS and relative gate at
    −10 LU, as computed by `pyloudnorm`. −inf for silence; NaN for audio shorter than one 400 ms
    block. Streaming platforms normalise to about −14 LUFS; a render far below is too quiet.

    Source: ITU-R BS.1770-4, "Algorithms to measure audio programme loudness and true-peak audio
    level", 2015; Steinmetz & Reiss, "pyloudnorm: A simple yet flexible loudness meter in Python",
    AES Convention 150, 2021.
    """
    import pyloudnorm  # here: it loads scipy.signal, which scoring symbols (compose's critic) never needs

    audio = np.asarray(audio, dtype=np.float64)
    if audio.shape[0] < GATING_BLOCK_SECONDS * sample_rate:
        return float(np.nan)
    return float(pyloudnorm.Meter(sample_rate).integrated_loudness(audio))
