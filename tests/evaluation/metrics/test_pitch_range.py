import math

from deepchorale.evaluation.metrics.pitch_range import pitch_range
from tests.evaluation.metrics.conftest import chords


def test_span_between_extreme_pitches():
    assert pitch_range(chords((72, 67, 64, 48), (79, 67, 64, 43))) == 36.0


def test_silence_is_nan():
    assert math.isnan(pitch_range(chords((None, None, None, None))))


def test_agrees_with_muspy_and_bach_spans_about_three_octaves(corpus, to_muspy):
    import muspy

    for chorale in corpus.chorales[:20]:
        assert pitch_range(chorale) == muspy.pitch_range(to_muspy(chorale))
    mean = sum(pitch_range(c) for c in corpus.chorales) / len(corpus.chorales)
    assert 32 < mean < 38  # ANCHORS: about 35
