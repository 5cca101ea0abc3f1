from deepchorale.evaluation.metrics import AUDIO_METRICS, METRICS
from deepchorale.evaluation.metrics.rubric import CRITERIA, rubric


def test_every_metric_feeds_a_criterion():
    fed = {name for names in CRITERIA.values() for name in names}
    assert set(METRICS) | set(AUDIO_METRICS) | {"originality"} <= fed


def test_groups_flattened_parts_and_descriptors():
    metrics = {
        "parallel_fifths": 0.01,
        "empty_bar_rate/soprano": 0.0,
        "originality/shared_share": 0.1,
        "integrated_loudness": -16.0,
        "tempo_qpm": 80.0,
        "mean_pitch": 61.0,
        "unknown": 1.0,
    }
    grouped = rubric(metrics)
    assert set(grouped) == {
        "originality",
        "rhythm",
        "accompaniment_and_chord_progressions",
        "cleanliness_of_sound",
        "emotional_resonance",
    }
    assert grouped["originality"] == {"originality/shared_share": 0.1}
    assert grouped["rhythm"] == {"empty_bar_rate/soprano": 0.0}
    assert grouped["accompaniment_and_chord_progressions"] == {"parallel_fifths": 0.01}
    assert grouped["cleanliness_of_sound"] == {"integrated_loudness": -16.0}
    assert grouped["emotional_resonance"] == {
        "integrated_loudness": -16.0,
        "tempo_qpm": 80.0,
        "mean_pitch": 61.0,
    }
