"""Musical metrics of a `Chorale` (one per module, each docstring defines it and cites its source).

`METRICS` maps a name to a function of a chorale returning a float or a small dict of floats;
`compute_metrics` runs them all and flattens dicts to "name/part" keys. Originality needs a
reference set (`originality.NgramIndex`) and audio metrics need rendered audio, so they have their
own entry points: `compute_metrics(chorale, reference=index)` and `compute_audio_metrics`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from deepchorale.data.chorale import Chorale
from deepchorale.evaluation.metrics.clipping_rate import clipping_rate
from deepchorale.evaluation.metrics.empty_bar_rate import empty_bar_rate
from deepchorale.evaluation.metrics.empty_beat_rate import empty_beat_rate
from deepchorale.evaluation.metrics.final_cadence_on_tonic import final_cadence_on_tonic
from deepchorale.evaluation.metrics.groove_consistency import groove_consistency
from deepchorale.evaluation.metrics.integrated_loudness import integrated_loudness
from deepchorale.evaluation.metrics.large_leap_rate import large_leap_rate
from deepchorale.evaluation.metrics.major_mode import major_mode
from deepchorale.evaluation.metrics.major_triad_rate import major_triad_rate
from deepchorale.evaluation.metrics.mean_melodic_interval import mean_melodic_interval
from deepchorale.evaluation.metrics.mean_pitch import mean_pitch
from deepchorale.evaluation.metrics.n_pitch_classes_used import n_pitch_classes_used
from deepchorale.evaluation.metrics.non_chord_tone_rate import non_chord_tone_rate
from deepchorale.evaluation.metrics.note_length_share import note_length_share
from deepchorale.evaluation.metrics.originality import NgramIndex, originality
from deepchorale.evaluation.metrics.outer_voice_motion import outer_voice_motion
from deepchorale.evaluation.metrics.parallel_fifths import parallel_fifths
from deepchorale.evaluation.metrics.parallel_octaves import parallel_octaves
from deepchorale.evaluation.metrics.pitch_class_entropy import pitch_class_entropy
from deepchorale.evaluation.metrics.pitch_range import pitch_range
from deepchorale.evaluation.metrics.polyphony import polyphony
from deepchorale.evaluation.metrics.polyphony_rate import polyphony_rate
from deepchorale.evaluation.metrics.qualified_note_rate import qualified_note_rate
from deepchorale.evaluation.metrics.range_violation_rate import range_violation_rate
from deepchorale.evaluation.metrics.register_outlier_rate import register_outlier_rate
from deepchorale.evaluation.metrics.repeated_note_rate import repeated_note_rate
from deepchorale.evaluation.metrics.scale_consistency import scale_consistency
from deepchorale.evaluation.metrics.spacing_violation_rate import spacing_violation_rate
from deepchorale.evaluation.metrics.tonal_distance import tonal_distance
from deepchorale.evaluation.metrics.triad_doubling import triad_doubling
from deepchorale.evaluation.metrics.triad_inversion import triad_inversion
from deepchorale.evaluation.metrics.triad_or_seventh_rate import triad_or_seventh_rate
from deepchorale.evaluation.metrics.true_peak import true_peak
from deepchorale.evaluation.metrics.used_pitch_classes_per_bar import used_pitch_classes_per_bar
from deepchorale.evaluation.metrics.voice_crossing_rate import voice_crossing_rate
from deepchorale.evaluation.metrics.voice_spacing import voice_spacing

Metric = Callable[[Chorale], float | dict[str, float]]

METRICS: dict[str, Metric] = {
    # MusPy (Dong et al. 2020)
    "pitch_range": pitch_range,
    "n_pitch_classes_used": n_pitch_classes_used,
    "polyphony": polyphony,
    "polyphony_rate": polyphony_rate,
    "scale_consistency": scale_consistency,
    "pitch_class_entropy": pitch_class_entropy,
    "empty_beat_rate": empty_beat_rate,
    "groove_consistency": groove_consistency,
    # MuseGAN (Dong et al. 2018)
    "empty_bar_rate": empty_bar_rate,
    "used_pitch_classes_per_bar": used_pitch_classes_per_bar,
    "qualified_note_rate": qualified_note_rate,
    "tonal_distance": tonal_distance,
    # voice leading
    "parallel_fifths": parallel_fifths,
    "parallel_octaves": parallel_octaves,
    "voice_crossing_rate": voice_crossing_rate,
    "spacing_violation_rate": spacing_violation_rate,
    "range_violation_rate": range_violation_rate,
    "register_outlier_rate": register_outlier_rate,
    "voice_spacing": voice_spacing,
    "mean_melodic_interval": mean_melodic_interval,
    "large_leap_rate": large_leap_rate,
    "repeated_note_rate": repeated_note_rate,
    "outer_voice_motion": outer_voice_motion,
    # harmony
    "triad_or_seventh_rate": triad_or_seventh_rate,
    "non_chord_tone_rate": non_chord_tone_rate,
    "major_triad_rate": major_triad_rate,
    "triad_inversion": triad_inversion,
    "triad_doubling": triad_doubling,
    "final_cadence_on_tonic": final_cadence_on_tonic,
    # rhythm
    "note_length_share": note_length_share,
    # descriptors (emotional resonance)
    "mean_pitch": mean_pitch,
    "major_mode": major_mode,
}

AUDIO_METRICS: dict[str, Callable[[np.ndarray, int], float]] = {
    "clipping_rate": clipping_rate,
    "integrated_loudness": integrated_loudness,
    "true_peak": true_peak,
}


def _flatten(name: str, value: float | dict[str, float], into: dict[str, float]) -> None:
    if isinstance(value, dict):
        into.update({f"{name}/{part}": part_value for part, part_value in value.items()})
    else:
        into[name] = value


def compute_metrics(chorale: Chorale, reference: NgramIndex | None = None) -> dict[str, float]:
    """Every metric of `METRICS` (dicts flattened to "name/part"), plus originality given a reference."""
    results: dict[str, float] = {}
    for name, metric in METRICS.items():
        _flatten(name, metric(chorale), results)
    if reference is not None:
        _flatten("originality", originality(chorale, reference), results)
    return results


def compute_audio_metrics(audio: np.ndarray, sample_rate: int) -> dict[str, float]:
    """Every metric of `AUDIO_METRICS` on float audio, (samples,) or (samples, channels)."""
    return {name: metric(audio, sample_rate) for name, metric in AUDIO_METRICS.items()}


def summarize(
    chorales: Iterable[Chorale], reference: NgramIndex | None = None
) -> dict[str, tuple[float, float]]:
    """(mean, std) of every metric over a set of chorales, NaNs (undefined values) ignored."""
    rows = [compute_metrics(chorale, reference) for chorale in chorales]
    names = list(dict.fromkeys(name for row in rows for name in row))
    values = {name: np.array([row.get(name, np.nan) for row in rows], float) for name in names}
    return {name: (float(np.nanmean(v)), float(np.nanstd(v))) for name, v in values.items()}
