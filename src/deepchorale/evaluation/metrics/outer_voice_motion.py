"""Outer-voice motion: how the soprano and the bass move against each other."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import REST, Chorale

# Interval size of each semitone count mod 12, in half-steps of the generic (diatonic) interval, so
# that a major and a minor third, or sixth, are one size: unison, 2nds, 3rds, 4th, tritone (its own
# size: a diminished fifth to a perfect fifth is not parallel), 5th, 6ths, 7ths. Spelling is not
# known on a MIDI grid, so this is the usual enharmonic reading.
INTERVAL_SIZE = np.array([0, 2, 2, 4, 4, 6, 7, 8, 10, 10, 12, 12])
OCTAVE_SIZE = 14
MOTIONS = ("contrary", "similar", "parallel", "oblique")


def _interval_size(semitones: np.ndarray) -> np.ndarray:
    distance = np.abs(semitones)
    return OCTAVE_SIZE * (distance // 12) + INTERVAL_SIZE[distance % 12]


def outer_voice_motion(chorale: Chorale) -> dict[str, float]:
    """Shares of contrary, similar, parallel and oblique motion among the soprano-bass moves.

    Over the steps where both soprano and bass sound (rests skipped, so motion is read across
    them), a move is a step at which either voice changes pitch; a re-struck or held pair is no
    move. Oblique: one voice keeps its pitch. Contrary: they go opposite ways. Parallel: the same
    way, keeping the interval's generic size (a third to a third, major or minor; compound
    intervals keep their octave). Similar: the same way, to another interval. The four shares sum
    to 1; NaN for all four when the outer voices never move. Bach favours contrary motion between
    the outer voices (about a third of the moves); a bass that shadows the melody in parallels
    or similar motion is the weak, un-Bach-like texture.

    Source: the four kinds of relative motion and the preference for contrary motion between the
    outer voices, Fux, *Gradus ad Parnassum* (1725); Aldwell & Schachter, *Harmony and Voice
    Leading*; Huron, "Tone and Voice", Music Perception 19(1), 2001 (the semblant-motion rule).
    """
    outer = chorale.pitches[[0, 3]]
    outer = outer[:, np.all(outer != REST, axis=0)].astype(np.int64)
    moves = np.flatnonzero(np.any(outer[:, 1:] != outer[:, :-1], axis=0))
    if moves.size == 0:
        return dict.fromkeys(MOTIONS, float(np.nan))
    soprano, bass = np.sign(outer[:, moves + 1] - outer[:, moves])
    size = _interval_size(outer[0] - outer[1])
    keeps_size = size[moves] == size[moves + 1]
    # The index into MOTIONS: same way 1 (similar), 2 if also keeping the size (parallel); then
    # opposite ways 0 (contrary) and one voice still 3 (oblique) override it.
    motion = np.where(keeps_size, 2, 1)
    motion[soprano == -bass] = 0
    motion[soprano * bass == 0] = 3
    return dict(zip(MOTIONS, (np.bincount(motion, minlength=len(MOTIONS)) / moves.size).tolist()))
