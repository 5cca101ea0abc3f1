import math

import numpy as np
import pytest

from deepchorale.evaluation.metrics.integrated_loudness import integrated_loudness

RATE = 48000


def sine(amplitude: float, seconds: float = 3.0, frequency: float = 997.0) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * frequency * np.arange(int(seconds * RATE)) / RATE)


def test_full_scale_sine_reads_minus_three_lufs():
    # BS.1770: a 0 dBFS 997 Hz sine in one channel reads -3.01 LKFS.
    assert integrated_loudness(sine(1.0), RATE) == pytest.approx(-3.01, abs=0.1)
    assert integrated_loudness(sine(0.1), RATE) == pytest.approx(-23.01, abs=0.1)


def test_silence_and_too_short_audio():
    assert integrated_loudness(np.zeros(RATE), RATE) == -math.inf
    assert math.isnan(integrated_loudness(sine(1.0, seconds=0.2), RATE))
