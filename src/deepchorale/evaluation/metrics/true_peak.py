"""True peak (ITU-R BS.1770 Annex 2) of rendered audio, in dBTP."""

from __future__ import annotations

import numpy as np

OVERSAMPLING = 4


def true_peak(audio: np.ndarray, sample_rate: int | None = None, oversampling: int = OVERSAMPLING) -> float:
    """Maximum absolute value of the 4x-oversampled signal, all channels, in dB relative to full scale.

    Oversampling recovers the peaks between samples that a digital-to-analogue converter will
    produce (inter-sample peaks), which the sample peak misses. `scipy.signal.resample_poly`
    interpolates with a Kaiser-windowed polyphase FIR filter. Above 0 dBTP the rendered audio will
    clip on playback; mastering practice keeps it below −1 dBTP. −inf for silence, NaN for empty
    audio. `sample_rate` is unused (the factor is fixed); it keeps the audio metrics' signature.

    Source: ITU-R BS.1770-4 (2015), Annex 2, "Guidelines for accurate measurement of true-peak
    level": oversample by 4 (for 48 kHz input), then take the absolute maximum.
    """
    from scipy.signal import resample_poly  # here: scoring symbols (compose's critic) never needs it

    audio = np.asarray(audio, dtype=np.float32)  # twice as fast as float64, ample for a level in dB
    if audio.size == 0:
        return float(np.nan)
    oversampled = resample_poly(audio, oversampling, 1, axis=0)
    peak = np.abs(oversampled).max()
    with np.errstate(divide="ignore"):
        return float(20 * np.log10(peak))
