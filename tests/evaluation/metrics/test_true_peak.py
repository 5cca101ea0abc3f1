import math

import numpy as np
import pytest

from deepchorale.evaluation.metrics.true_peak import true_peak

RATE = 48000


def test_oversampling_finds_the_inter_sample_peak():
    # A sine at a quarter of the sample rate, sampled 45 degrees off its crests: every sample is
    # ±0.707 (-3 dBFS sample peak) but the signal between them reaches 1.0 (0 dBTP).
    n = np.arange(RATE)
    audio = np.sin(2 * np.pi * n / 4 + np.pi / 4)
    assert 20 * np.log10(np.abs(audio).max()) == pytest.approx(-3.01, abs=0.01)
    assert true_peak(audio, RATE) == pytest.approx(0.0, abs=0.2)


def test_low_frequency_sine_peak_and_silence():
    audio = 0.5 * np.sin(2 * np.pi * 440 * np.arange(RATE) / RATE)
    assert true_peak(np.stack([audio, audio / 2], axis=1), RATE) == pytest.approx(-6.02, abs=0.05)
    assert true_peak(np.zeros(100), RATE) == -math.inf
