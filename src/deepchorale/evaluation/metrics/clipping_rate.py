"""Clipping rate of rendered audio."""

from __future__ import annotations

import numpy as np

CLIP_LEVEL = 0.999


def clipping_rate(audio: np.ndarray, sample_rate: int | None = None) -> float:
    """Share of samples (all channels) with |x| ≥ 0.999 of full scale; NaN for empty audio.

    `audio` is float, full scale ±1, shaped (samples,) or (samples, channels). `sample_rate` is
    unused; it keeps the signature of the other audio metrics. Any sustained value is audible
    distortion: a clean render scores 0.

    Source: digital full-scale clipping as in AES17 (AES standard method for digital audio
    engineering, measurement of digital audio equipment); the 0.999 threshold tolerates float
    rounding of a signal normalised to exactly 1.
    """
    audio = np.asarray(audio)
    return float(np.mean(np.abs(audio) >= CLIP_LEVEL)) if audio.size else float(np.nan)
