"""Repeated-note rate per voice: how often a voice re-strikes the pitch it just sang."""

from __future__ import annotations

from deepchorale.data.chorale import Chorale
from deepchorale.evaluation.metrics.grid import mean_per_voice
from deepchorale.evaluation.metrics.mean_melodic_interval import melodic_intervals


def repeated_note_rate(chorale: Chorale) -> dict[str, float]:
    """Share of melodic intervals that are unisons, per voice and over all voices ("all").

    A melodic interval joins consecutive notes of one voice, onset to onset (across a rest, as in
    `mean_melodic_interval.melodic_intervals`); a held note is one note, a re-struck one two (the
    chorale's `onsets`), so only re-strikes count. NaN for a voice with fewer than two notes.
    Bach's inner voices repeat often (about a fifth to a quarter of their intervals: a common tone
    kept between chords, re-sung on the new syllable); a model that never repeats writes restless
    inner voices, one that always does, static ones. A piece read from pitches alone (no onsets,
    `chorale_from_pitches`) repeats a note only across a rest.

    Source: the common-tone rule of four-part writing (keep the common tone in the same voice),
    Aldwell & Schachter, *Harmony and Voice Leading*; interval-distribution features as in Yang &
    Lerch, "On the evaluation of generative models in music", 2018.
    """
    voice, interval = melodic_intervals(chorale)
    return mean_per_voice(voice, interval == 0)
