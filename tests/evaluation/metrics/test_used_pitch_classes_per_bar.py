import pytest

from deepchorale.evaluation.metrics.used_pitch_classes_per_bar import used_pitch_classes_per_bar
from tests.evaluation.metrics.conftest import chords, voices


def test_mean_over_non_empty_bars():
    # Bar 1: C D E C (3 classes); bar 2: silent (left out); bar 3: G held (1 class).
    soprano = [(60, 4), (62, 4), (64, 4), (72, 4), (None, 16), (67, 16)]
    used = used_pitch_classes_per_bar(voices(soprano))
    assert used["soprano"] == pytest.approx(2.0)
    assert used["all"] == pytest.approx(2.0)


def test_all_voices_together_count_the_harmony():
    used = used_pitch_classes_per_bar(
        chords((72, 67, 64, 48), (74, 67, 59, 43), (72, 67, 64, 48), (72, 64, 55, 48))
    )
    assert used["all"] == 5.0  # C E G + D B
    assert used["bass"] == 2.0


def test_bach_per_voice_values_are_in_musegans_range(corpus):
    for voice in ("soprano", "alto", "tenor", "bass"):
        mean = sum(used_pitch_classes_per_bar(c)[voice] for c in corpus.chorales) / len(corpus.chorales)
        assert 1.7 <= mean <= 4.0
