import math

import numpy as np

from deepchorale.data.chorale import VOICES
from deepchorale.evaluation.metrics import (
    METRICS,
    NgramIndex,
    compute_audio_metrics,
    compute_metrics,
    summarize,
)


def test_every_metric_is_reported_and_dicts_are_flattened(corpus):
    results = compute_metrics(corpus.chorales[0])
    assert all(isinstance(value, float) for value in results.values())
    assert {name.split("/")[0] for name in results} == set(METRICS)
    assert {f"empty_bar_rate/{voice}" for voice in (*VOICES, "all")} <= set(results)
    assert "originality/shared_share" not in results


def test_originality_is_added_given_a_reference(corpus):
    index = NgramIndex.build(corpus.chorales[:10])
    results = compute_metrics(corpus.chorales[0], reference=index)
    assert results["originality/shared_share"] > 0.9


def test_bach_values_are_finite_where_defined(corpus):
    summary = summarize(corpus.chorales)
    assert all(math.isfinite(mean) and math.isfinite(std) for mean, std in summary.values())


def test_audio_metrics():
    rate = 16000
    audio = 0.5 * np.sin(2 * np.pi * 440 * np.arange(rate) / rate)
    results = compute_audio_metrics(audio, rate)
    assert set(results) == {"clipping_rate", "integrated_loudness", "true_peak"}
    assert results["clipping_rate"] == 0.0
