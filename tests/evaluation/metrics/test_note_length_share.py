import math

import numpy as np
import pytest

from deepchorale.evaluation.metrics.note_length_share import note_length_share
from tests.evaluation.metrics.conftest import voices


def test_length_classes_per_voice():
    soprano = [(60, 1), (62, 1), (64, 2), (65, 3), (67, 4), (69, 7), (71, 8), (72, 16)]
    shares = note_length_share(voices(soprano, [(None, 4), (60, 4)], [(None, 4)]))
    assert [shares[f"soprano_{length}"] for length in ("sixteenth", "eighth", "quarter", "half")] == [
        0.25
    ] * 4
    assert (shares["alto_quarter"], shares["alto_sixteenth"]) == (1.0, 0.0)  # the rest is no note
    assert all(math.isnan(shares[f"tenor_{length}"]) for length in ("sixteenth", "eighth", "quarter", "half"))


def test_bach_sings_quarters_and_eighths_never_sixteenths_in_the_bass(corpus, random_chorales):
    shares = [note_length_share(c) for c in corpus.chorales]
    for voice in ("soprano", "alto", "tenor", "bass"):
        per_piece = [
            sum(s[f"{voice}_{length}"] for length in ("sixteenth", "eighth", "quarter", "half"))
            for s in shares
        ]
        assert per_piece == pytest.approx([1.0] * len(shares))
    assert np.mean([s["bass_sixteenth"] for s in shares]) < 0.01
    assert np.mean([s["soprano_quarter"] for s in shares]) > 0.6
    assert np.mean([s["bass_eighth"] for s in shares]) > np.mean([s["soprano_eighth"] for s in shares])
    assert all(note_length_share(c)["bass_quarter"] == 1.0 for c in random_chorales)
