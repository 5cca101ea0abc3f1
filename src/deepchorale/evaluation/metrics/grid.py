"""Array views of a `Chorale` shared by the metrics: notes, the metrical grid, chords.

Conventions every metric follows:
- A note is one onset of one voice up to the next onset or rest of that voice (`Chorale.notes()`).
- A beat is a quarter note (4 steps), as in MusPy, and a bar is `chorale.bar_steps`; both grids are
  aligned to the first downbeat (`chorale.pickup`), so a pickup forms a short first beat or bar and
  the piece may end on a short one. Short bars and beats count like full ones, except where a
  metric compares bars position by position (groove consistency), which uses complete bars only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deepchorale.data.chorale import REST, STEPS_PER_QUARTER, VOICES, Chorale


@dataclass(frozen=True)
class Notes:
    """Every note as parallel arrays, in voice then time order (as `Chorale.notes()`)."""

    voice: np.ndarray
    start: np.ndarray
    end: np.ndarray
    pitch: np.ndarray

    @property
    def duration(self) -> np.ndarray:
        return self.end - self.start

    def __len__(self) -> int:
        return self.voice.size


def notes(chorale: Chorale) -> Notes:
    """The notes of `chorale`, vectorised: a note ends at its voice's next onset or rest."""
    num_steps = chorale.num_steps
    voice, start = np.nonzero(chorale.onsets)
    ends_here = chorale.onsets | (chorale.pitches == REST)
    # One extra always-true column per voice closes the last note of each voice at num_steps.
    boundaries = np.flatnonzero(np.concatenate([ends_here, np.ones((4, 1), bool)], axis=1))
    flat_start = voice * (num_steps + 1) + start
    end = boundaries[np.searchsorted(boundaries, flat_start, side="right")] - voice * (num_steps + 1)
    return Notes(voice, start, end, chorale.pitches[voice, start].astype(np.int64))


def sounding(chorale: Chorale) -> np.ndarray:
    """(4, T) bool: the voice sounds at the step."""
    return chorale.pitches != REST


def distinct_pitches_per_step(chorale: Chorale) -> np.ndarray:
    """(T,) number of different pitches sounding at each step (voices in unison count once)."""
    ordered = np.sort(chorale.pitches, axis=0)
    new_pitch = np.concatenate([ordered[:1] != REST, ordered[1:] != ordered[:-1]], axis=0)
    return (new_pitch & (ordered != REST)).sum(axis=0)


def pitch_class_roll(pitches: np.ndarray) -> np.ndarray:
    """(4, T) pitches -> (4, T, 12) bool: the pitch class each voice sounds (all False on a rest)."""
    roll = np.zeros((*pitches.shape, 12), bool)
    voice, step = np.nonzero(pitches != REST)
    roll[voice, step, pitches[voice, step] % 12] = True
    return roll


def _grid_index(chorale: Chorale, unit: int) -> np.ndarray:
    """(T,) index of the grid cell (beat or bar of `unit` steps, aligned to the downbeat) of each step."""
    shift = (unit - chorale.pickup % unit) % unit
    return (np.arange(chorale.num_steps) + shift) // unit


def beat_starts(chorale: Chorale) -> np.ndarray:
    """First step of every quarter-note beat the piece touches (for `np.*.reduceat` along time)."""
    return _cell_starts(_grid_index(chorale, STEPS_PER_QUARTER))


def bar_starts(chorale: Chorale) -> np.ndarray:
    """First step of every bar the piece touches, a pickup bar and a short last bar included."""
    return _cell_starts(_grid_index(chorale, chorale.bar_steps))


def _cell_starts(index: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.diff(index, prepend=-1))


def complete_bars(values: np.ndarray, chorale: Chorale) -> np.ndarray:
    """(..., T) -> (..., n_bars, bar_steps): the complete bars only (no pickup, no short last bar)."""
    first_downbeat = chorale.pickup % chorale.bar_steps
    n_bars = max(chorale.num_steps - first_downbeat, 0) // chorale.bar_steps
    cropped = values[..., first_downbeat : first_downbeat + n_bars * chorale.bar_steps]
    return cropped.reshape(*values.shape[:-1], n_bars, chorale.bar_steps)


def chord_changes(chorale: Chorale) -> np.ndarray:
    """(4, K) the successive distinct verticalities with at least two voices sounding.

    Steps where fewer than two voices sound are dropped first, then runs of identical verticalities
    collapse to one, so a re-struck or held chord is a single chord and silence does not separate
    two chords.
    """
    pitches = chorale.pitches[:, (chorale.pitches != REST).sum(axis=0) >= 2]
    if pitches.shape[1] == 0:
        return pitches
    changed = np.any(pitches[:, 1:] != pitches[:, :-1], axis=0)
    return pitches[:, np.concatenate([[True], changed])]


def pitch_class_sets(pitches: np.ndarray) -> np.ndarray:
    """(V, K) sounding pitches (no rests) -> (K,) 12-bit pitch-class sets, bit p set when class p sounds.

    The index into the `data.chords` lookups (`IS_CHORD`, `chord_roots`).
    """
    return np.bitwise_or.reduce(1 << (pitches.astype(np.int64) % 12), axis=0)


def harmonic_positions(chorale: Chorale) -> np.ndarray:
    """(4, K) the pitches at every 8th-note position where all four voices sound.

    8th-note positions are the steps an even number of 16ths from the first downbeat, so a chord
    is sampled on every 8th it lasts (duration-weighted at 8th resolution) and a 16th off that grid
    (the second of two 16ths, most often a passing note) is never seen.
    """
    eighths = chorale.pitches[:, chorale.pickup % 2 :: 2]
    return eighths[:, np.all(eighths != REST, axis=0)]


def mean_per_voice(voice: np.ndarray, values: np.ndarray) -> dict[str, float]:
    """Mean of `values` (one per note, interval, ...; booleans give a share) over the items of each
    voice (`voice`: 0-3 per item) and over all items ("all"); NaN where there are none."""
    counts = np.bincount(voice, minlength=len(VOICES))
    sums = np.bincount(voice, weights=values, minlength=len(VOICES))
    with np.errstate(invalid="ignore", divide="ignore"):  # no items: NaN, as documented
        means = dict(zip(VOICES, (sums / counts).tolist()))
        means["all"] = float(sums.sum() / counts.sum())
    return means
