"""What the automated Turing test's discriminators see of a chorale: 2-bar windows, each as
interpretable features (for the trees) and as piano-roll planes (for the small CNN).

Windows are cut on the metrical grid: `bars` bars from each downbeat, `hop_bars` apart; the
pickup and a short last bar are left out. A window in which the soprano rests for more than half
its steps (an instrumental interlude, a long rest) is dropped; the rule reads the soprano alone,
which a harmonisation shares with its Bach source, so both keep the same windows. Inside a window
a note cut at the left edge starts anew (`Chorale.crop`).

The features, one row per window (NaN where undefined, e.g. no four-voice step):
- per voice: register (mean sounding pitch), mean melodic interval, onsets per bar, share of
  16th notes, share of onsets off the 8th-note grid, share of re-struck notes (an onset at the
  pitch that was just sounding);
- between voices: mean distance of each adjacent pair, shares of steps with a spacing fault
  (`spacing_violation_rate`'s limits), a crossing (any of the six pairs), a unison (adjacent
  pair); lower-voice rest share; share of onset steps where one voice alone moves;
- harmony, over four-voice steps: complete triads, sevenths, incomplete chords (a subset of a
  template), non-chords (no template contains the pitch classes), root position among complete
  chords; lower-voice notes outside the key (major, or minor with both forms of 6 and 7);
- over the window's chord changes (`grid.chord_changes`): changes per bar, parallel fifths and
  octaves per transition (`parallel_motion_rate`), outer-voice motion types (parallel: same
  direction and interval class; similar; contrary; oblique) as shares of the transitions where
  the soprano or the bass moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deepchorale.data.chorale import REST, VOICES, Chorale
from deepchorale.data.chords import CHORD_TEMPLATES
from deepchorale.data.convert import ONEHOT_LOW, ONEHOT_PITCHES
from deepchorale.data.key import in_key
from deepchorale.evaluation.metrics.grid import chord_changes
from deepchorale.evaluation.metrics.parallel_motion import VOICE_PAIRS, parallel_motion_rate
from deepchorale.evaluation.metrics.spacing_violation_rate import SPACING_LIMITS

PER_VOICE = (
    "register",
    "melodic_interval",
    "onsets_per_bar",
    "sixteenths",
    "offbeat_onsets",
    "repeated_notes",
)
ADJACENT = ("soprano-alto", "alto-tenor", "tenor-bass")
FEATURES = (
    *(f"{name}/{voice}" for name in PER_VOICE for voice in VOICES),
    *(f"spacing/{pair}" for pair in ADJACENT),
    "spacing_fault", "crossing", "unison", "lower_rests", "one_voice_moves",
    "chord/triad", "chord/seventh", "chord/incomplete", "chord/non_chord", "root_position", "out_of_key",
    "chord_changes_per_bar", "parallel_fifths", "parallel_octaves",
    "outer/parallel", "outer/similar", "outer/contrary", "outer/oblique",
)  # fmt: skip


def _chord_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(4096,) tables over 12-bit pitch-class sets: is a triad, is a seventh, is inside some
    template (incomplete or complete), and the bitmask of the roots it can have."""
    triad, seventh, inside, roots = (np.zeros(1 << 12, dtype) for dtype in (bool, bool, bool, np.int64))
    for intervals in CHORD_TEMPLATES.values():
        for root in range(12):
            chord = sum(1 << ((root + i) % 12) for i in intervals)
            (triad if len(intervals) == 3 else seventh)[chord] = True
            roots[chord] |= 1 << root
            subset = chord
            while subset:  # every non-empty subset of the chord's pitch classes
                inside[subset] = True
                subset = (subset - 1) & chord
    return triad, seventh, inside, roots


TRIAD, SEVENTH, INSIDE_A_CHORD, ROOTS = _chord_tables()


@dataclass(frozen=True)
class Windows:
    """The windows of one chorale: (N, 4, L) pitches and onsets, and where each starts."""

    pitches: np.ndarray
    onsets: np.ndarray
    starts: np.ndarray
    bar_steps: int


def cut_windows(chorale: Chorale, bars: int = 2, hop_bars: int = 1) -> Windows:
    """The chorale's `bars`-bar windows from its downbeats, `hop_bars` apart (see the docstring)."""
    bar, length = chorale.bar_steps, bars * chorale.bar_steps
    first = chorale.pickup % bar
    starts = np.arange(first, chorale.num_steps - length + 1, hop_bars * bar)
    index = starts[:, None] + np.arange(length)  # (N, L)
    sung = (chorale.pitches[0][index] != REST).mean(axis=1) >= 0.5
    starts, index = starts[sung], index[sung]
    pitches = chorale.pitches[:, index].transpose(1, 0, 2).astype(np.int64)
    onsets = chorale.onsets[:, index].transpose(1, 0, 2).copy()
    onsets[:, :, 0] = pitches[:, :, 0] != REST
    return Windows(pitches, onsets, starts, bar)


def _share(hits: np.ndarray, of: np.ndarray, axis) -> np.ndarray:
    """hits.sum / of.sum along `axis`, NaN where `of` is empty."""
    total = of.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (hits & of).sum(axis=axis) / np.maximum(total, 1), np.nan)


def _mean(values: np.ndarray, where: np.ndarray, axis) -> np.ndarray:
    total = where.sum(axis=axis)
    return np.where(total > 0, (values * where).sum(axis=axis) / np.maximum(total, 1), np.nan)


def note_lengths(pitches: np.ndarray, onsets: np.ndarray) -> np.ndarray:
    """(..., L) -> (..., L): at each onset, the steps until the voice's next onset, rest or the
    window's end (0 elsewhere)."""
    length = pitches.shape[-1]
    steps = np.arange(length)
    boundary = np.where(onsets | (pitches == REST), steps, length)
    # the first boundary strictly after each step: a suffix minimum shifted by one
    after = np.concatenate([boundary[..., 1:], np.full((*boundary.shape[:-1], 1), length)], axis=-1)
    following = np.flip(np.minimum.accumulate(np.flip(after, -1), axis=-1), -1)
    return np.where(onsets, following - steps, 0)


def voice_features(windows: Windows) -> dict[str, np.ndarray]:
    """Per-voice figures of every window, (N, 4) each."""
    pitches, onsets = windows.pitches, windows.onsets
    sounding = pitches != REST
    bars = pitches.shape[-1] / windows.bar_steps
    # a step-to-step move within one voice: an onset right after a sounding step
    moved = onsets[..., 1:] & sounding[..., :-1]
    interval = np.abs(pitches[..., 1:] - pitches[..., :-1])
    offbeat = (np.arange(pitches.shape[-1]) % 2 == 1)[None, None]
    return {
        "register": _mean(pitches, sounding, -1),
        "melodic_interval": _mean(interval, moved & (interval > 0), -1),
        "onsets_per_bar": onsets.sum(axis=-1) / bars,
        "sixteenths": _share(note_lengths(pitches, onsets) == 1, onsets, -1),
        "offbeat_onsets": _share(offbeat, onsets, -1),
        "repeated_notes": _share(interval == 0, moved, -1),
    }


def texture_features(windows: Windows, key_tonic: int, key_mode: str) -> dict[str, np.ndarray]:
    """Figures of the voices together and of the harmony, (N,) each."""
    pitches, onsets = windows.pitches, windows.onsets
    sounding = pitches != REST
    polyphonic = sounding.sum(axis=1) >= 2  # (N, L)
    features = {}
    for (upper, lower), name in zip(((0, 1), (1, 2), (2, 3)), ADJACENT):
        both = sounding[:, upper] & sounding[:, lower]
        features[f"spacing/{name}"] = _mean(pitches[:, upper] - pitches[:, lower], both, -1)
    fault = np.zeros_like(polyphonic)
    for upper, lower, limit in SPACING_LIMITS:
        fault |= sounding[:, upper] & sounding[:, lower] & (pitches[:, upper] - pitches[:, lower] > limit)
    upper, lower = pitches[:, VOICE_PAIRS[:, 0]], pitches[:, VOICE_PAIRS[:, 1]]
    crossed = ((upper != REST) & (lower != REST) & (upper < lower)).any(axis=1)
    unison = ((pitches[:, :-1] == pitches[:, 1:]) & sounding[:, 1:]).any(axis=1)
    struck = onsets[..., 1:].sum(axis=1)  # onsets per step, the window's first step left out
    features |= {
        "spacing_fault": _share(fault, polyphonic, -1),
        "crossing": _share(crossed, polyphonic, -1),
        "unison": _share(unison, polyphonic, -1),
        "lower_rests": (~sounding[:, 1:]).mean(axis=(1, 2)),
        "one_voice_moves": _share(struck == 1, struck > 0, -1),
    }
    full = sounding.all(axis=1)  # (N, L) four-voice steps
    classes = np.where(sounding, pitches % 12, 0)
    pitch_set = np.bitwise_or.reduce(np.where(sounding, 1 << classes, 0), axis=1)
    complete = TRIAD[pitch_set] | SEVENTH[pitch_set]
    root_position = ((ROOTS[pitch_set] >> classes[:, 3]) & 1) == 1  # the bass sounds a root
    member = in_key(key_tonic, key_mode)
    lower_sounding = sounding[:, 1:]
    features |= {
        "chord/triad": _share(TRIAD[pitch_set], full, -1),
        "chord/seventh": _share(SEVENTH[pitch_set], full, -1),
        "chord/incomplete": _share(INSIDE_A_CHORD[pitch_set] & ~complete, full, -1),
        "chord/non_chord": _share(~INSIDE_A_CHORD[pitch_set], full, -1),
        "root_position": _share(root_position, full & complete, -1),
        "out_of_key": _share(~member[classes[:, 1:]], lower_sounding, (1, 2)),
    }
    return features


def change_features(chorale: Chorale, windows: Windows) -> dict[str, np.ndarray]:
    """Figures over each window's chord changes, (N,) each: a small loop, as the changes collapse
    differently in every window."""
    rows = []
    length = windows.pitches.shape[-1]
    for start in windows.starts:
        window = chorale.crop(int(start), length)
        chords = chord_changes(window).astype(np.int64)
        soprano, bass = chords[0], chords[3]
        outer = (soprano[:-1] != REST) & (soprano[1:] != REST) & (bass[:-1] != REST) & (bass[1:] != REST)
        up, down = np.sign(np.diff(soprano)), np.sign(np.diff(bass))
        same_class = (soprano[:-1] - bass[:-1]) % 12 == (soprano[1:] - bass[1:]) % 12
        moving = outer & ((up != 0) | (down != 0))
        together = (up == down) & (up != 0)
        motions = (together & same_class, together & ~same_class, up * down == -1, (up == 0) ^ (down == 0))
        rows.append(
            [
                chords.shape[1] * windows.bar_steps / length,
                parallel_motion_rate(window, 7),
                parallel_motion_rate(window, 0),
                *(_share(motion, moving, -1) for motion in motions),
            ]
        )
    names = ("chord_changes_per_bar", "parallel_fifths", "parallel_octaves",
             "outer/parallel", "outer/similar", "outer/contrary", "outer/oblique")  # fmt: skip
    values = np.array(rows, float).reshape(len(windows.starts), len(names))
    return {name: values[:, i] for i, name in enumerate(names)}


def window_features(chorale: Chorale, windows: Windows) -> np.ndarray:
    """(N, len(FEATURES)) float: every feature of every window of `chorale`."""
    features = {}
    for name, values in voice_features(windows).items():
        features |= {f"{name}/{voice}": values[:, v] for v, voice in enumerate(VOICES)}
    features |= texture_features(windows, chorale.key_tonic, chorale.key_mode)
    features |= change_features(chorale, windows)
    return np.stack([features[name] for name in FEATURES], axis=1).astype(float)


def window_planes(windows: Windows, length: int) -> np.ndarray:
    """(N, 8, 46, length) uint8: per voice a piano roll over MIDI 36-81 (Coconet's range) and a
    plane of its onsets at their pitches; windows shorter than `length` (3/4 bars) padded with
    silence at the end. Pitches outside the range are left out."""
    pitches, onsets = windows.pitches, windows.onsets
    n, voices, _ = pitches.shape
    planes = np.zeros((n, 2 * voices, ONEHOT_PITCHES, length), np.uint8)
    row = pitches - ONEHOT_LOW
    inside = (pitches != REST) & (row >= 0) & (row < ONEHOT_PITCHES)
    window, voice, step = np.nonzero(inside)
    planes[window, voice, row[window, voice, step], step] = 1
    struck = onsets[window, voice, step]
    planes[window[struck], voices + voice[struck], row[window, voice, step][struck], step[struck]] = 1
    return planes
