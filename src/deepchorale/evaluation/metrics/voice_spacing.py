"""Voice spacing: how far apart the voices sit, adjacent pairs and the outer voices."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import REST, VOICES, Chorale

# (upper voice, lower voice): the three adjacent pairs and the outer voices
UPPER, LOWER = np.array([0, 1, 2, 0]), np.array([1, 2, 3, 3])
PAIRS = tuple(f"{VOICES[upper]}_{VOICES[lower]}" for upper, lower in zip(UPPER, LOWER))


def voice_spacing(chorale: Chorale) -> dict[str, float]:
    """Mean distance in semitones, upper minus lower voice, over the steps where both sound.

    Parts `soprano_alto`, `alto_tenor`, `tenor_bass` (adjacent voices) and `soprano_bass` (the
    outer voices, the texture's span). Steps, so duration-weighted; a crossed pair counts
    negatively (crossings have their own metric). NaN for a pair that never sounds together.
    Bach's texture is wide (the outer voices about 20 semitones apart on average, tenor-bass the
    widest adjacent pair); a texture packed into a narrow band sounds thick and un-Bach-like even
    when it breaks no spacing rule (`spacing_violation_rate` counts only the too-wide).

    Source: the spacing norms of four-part writing (Aldwell & Schachter, *Harmony and Voice
    Leading*: upper voices within an octave, more room between tenor and bass); Huron, "Tone and
    Voice", Music Perception 19(1), 2001 (spacing tracks critical bandwidth: wider below, closer above).
    """
    pitches = chorale.pitches.astype(np.int64)
    both = (pitches[UPPER] != REST) & (pitches[LOWER] != REST)
    total = np.where(both, pitches[UPPER] - pitches[LOWER], 0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):  # a pair never sounding together: NaN
        return dict(zip(PAIRS, (total / both.sum(axis=1)).tolist()))
