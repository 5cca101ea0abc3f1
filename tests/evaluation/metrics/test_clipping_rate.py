import math

import numpy as np
import pytest

from deepchorale.evaluation.metrics.clipping_rate import clipping_rate


def test_share_of_samples_at_full_scale():
    quiet = 0.5 * np.sin(np.linspace(0, 100, 1000))
    assert clipping_rate(quiet, 44100) == 0.0
    clipped = np.clip(4 * quiet, -1, 1)  # amplitude 2: clipped wherever |sin| >= 1/2, 2/3 of the time
    assert clipping_rate(clipped, 44100) == pytest.approx(2 / 3, abs=0.02)
    stereo = np.stack([quiet, np.ones_like(quiet)], axis=1)
    assert clipping_rate(stereo, 44100) == pytest.approx(0.5)
    assert math.isnan(clipping_rate(np.zeros(0), 44100))
