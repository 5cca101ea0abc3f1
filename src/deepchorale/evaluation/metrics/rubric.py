"""The studio's five judging criteria and the measurable proxies that feed each one.

Human judges score originality, rhythm, accompaniment / chord progressions, cleanliness of sound
and emotional resonance from 1 to 5 (the AWS DeepComposer Chartbusters criteria). None of them
is a single number; each is fed by metrics that expose one of its failure modes:

- originality: n-gram copying from the reference corpus (`originality/*`).
- rhythm: is there a pulse (empty beats and bars), a steady groove, not fragmented (qualified
  notes), a full texture over time (polyphony).
- accompaniment and chord progressions: harmony (recognised chords, cadence, tonal distance
  between melody and accompaniment, key consistency, harmonic content per bar) and voice leading
  (parallels, crossings, spacing, melodic motion).
- cleanliness of sound: audio faults (clipping, true peak, loudness) and symbolic causes of a muddy
  or strained render (voices out of range, overall span).
- emotional resonance: descriptors only, not scores: mode, tempo if given ("tempo_qpm"), register
  (mean pitch) and dynamics (integrated loudness).
"""

from __future__ import annotations

CRITERIA: dict[str, tuple[str, ...]] = {
    "originality": ("originality",),
    "rhythm": (
        "empty_beat_rate",
        "empty_bar_rate",
        "groove_consistency",
        "qualified_note_rate",
        "note_length_share",
        "polyphony",
        "polyphony_rate",
    ),
    "accompaniment_and_chord_progressions": (
        "triad_or_seventh_rate",
        "non_chord_tone_rate",
        "major_triad_rate",
        "triad_inversion",
        "triad_doubling",
        "final_cadence_on_tonic",
        "tonal_distance",
        "scale_consistency",
        "pitch_class_entropy",
        "n_pitch_classes_used",
        "used_pitch_classes_per_bar",
        "parallel_fifths",
        "parallel_octaves",
        "voice_crossing_rate",
        "spacing_violation_rate",
        "voice_spacing",
        "mean_melodic_interval",
        "large_leap_rate",
        "repeated_note_rate",
        "outer_voice_motion",
    ),
    "cleanliness_of_sound": (
        "clipping_rate",
        "true_peak",
        "integrated_loudness",
        "range_violation_rate",
        "register_outlier_rate",
        "pitch_range",
    ),
    "emotional_resonance": ("major_mode", "tempo_qpm", "mean_pitch", "integrated_loudness"),
}


def rubric(metrics: dict[str, float]) -> dict[str, dict[str, float]]:
    """Group `metrics` (as `compute_metrics` / `compute_audio_metrics` name them) under the criteria.

    A criterion takes every metric named in `CRITERIA` and every flattened part of one ("name/part");
    metrics absent from `metrics` are simply missing. Loudness feeds two criteria: as a fault
    (far too quiet or loud) for cleanliness, as dynamics for emotional resonance.
    """
    return {
        criterion: {
            key: value for key, value in metrics.items() if key in names or key.split("/", 1)[0] in names
        }
        for criterion, names in CRITERIA.items()
    }
