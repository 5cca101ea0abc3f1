"""evaluation/register_target.py: every voice's mean pitch inside Bach's p5-p95 of per-piece means."""

import numpy as np

from deepchorale.data.chorale import REST
from deepchorale.evaluation.metrics import compute_metrics
from deepchorale.evaluation.reference import bach_split
from deepchorale.evaluation.register_target import VOICE_MEANS, VoiceMeanBands
from tests.conftest import CACHE_DIR


def test_the_band_is_each_voices_p5_p95_and_a_piece_an_octave_up_is_outside():
    chorales = bach_split("test", CACHE_DIR)[:8]
    rows = [compute_metrics(c) for c in chorales]
    target = VoiceMeanBands.of(rows)
    means = np.array([[c.pitches[v][c.pitches[v] != REST].mean() for v in range(4)] for c in chorales])
    assert np.allclose([target.bands[name] for name in VOICE_MEANS], np.percentile(means, [5, 95], axis=0).T)
    assert 0 < target.share(rows) < 1  # eight pieces: each voice's highest and lowest mean lie outside
    octave_up = {**rows[0], **{name: rows[0][name] + 12 for name in VOICE_MEANS}}
    assert not target.holds(octave_up)
