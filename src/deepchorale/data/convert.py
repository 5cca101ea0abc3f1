"""Every view of a `Chorale`, and the way back: Coconet one-hot, merged piano roll, MIDI.

One module so that all models agree on the encodings:
- Coconet one-hot: (4, T, 46) over MIDI 36-81, the JSB range of Huang et al. (2017); a rest is an
  all-zero row.
- Merged piano roll: (T, 128) booleans, all voices in one plane, as DeepComposer's AR-CNN sees it.
- MIDI: four tracks (S, A, T, B); meter, pickup (as a short first bar), key and fermatas (as text
  events) survive a round trip. Reading goes through the one score reader, `data/scores.py`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pretty_midi

from deepchorale.data.chorale import REST, STEPS_PER_QUARTER, VOICES, Chorale
from deepchorale.data.scores import (
    FERMATA_TEXT,
    ScoreError,
    chorale_on_grid,
    high_to_low,
    midi_score,
    open_midi,
)

ONEHOT_LOW = 36
ONEHOT_HIGH = 81
ONEHOT_PITCHES = ONEHOT_HIGH - ONEHOT_LOW + 1  # 46
DEFAULT_PROGRAMS = (19, 19, 19, 19)  # church organ on every voice


def to_onehot(pitches: np.ndarray) -> np.ndarray:
    """(4, T) pitches -> (4, T, 46) float32 one-hot; rests are all-zero rows."""
    pitches = np.asarray(pitches)
    sounding = pitches != REST
    if np.any(sounding & ((pitches < ONEHOT_LOW) | (pitches > ONEHOT_HIGH))):
        raise ValueError(f"pitches outside the one-hot range {ONEHOT_LOW}-{ONEHOT_HIGH}")
    onehot = np.zeros((*pitches.shape, ONEHOT_PITCHES), np.float32)
    voice, step = np.nonzero(sounding)
    onehot[voice, step, pitches[voice, step] - ONEHOT_LOW] = 1.0
    return onehot


def to_pianoroll(pitches: np.ndarray) -> np.ndarray:
    """(4, T) pitches -> (T, 128) bool merged roll (voices in unison collapse to one cell)."""
    pitches = np.asarray(pitches)
    roll = np.zeros((pitches.shape[1], 128), bool)
    voice, step = np.nonzero(pitches != REST)
    roll[step, pitches[voice, step]] = True
    return roll


def pitches_from_pianoroll(roll: np.ndarray) -> np.ndarray:
    """(T, 128) roll -> (4, T) pitches: the four highest notes of each step, top one to the soprano.

    A step with fewer than four notes gives the lowest sounding note to the remaining lower voices
    (doubling, as in a unison) rather than inventing rests inside the texture; an empty step rests.
    """
    roll = np.asarray(roll, bool)
    pitches = np.full((4, roll.shape[0]), REST, np.int16)
    for step in np.flatnonzero(roll.any(axis=1)):
        sounding = np.flatnonzero(roll[step])[::-1][:4]
        padded = np.concatenate([sounding, np.repeat(sounding[-1:], 4 - sounding.size)])
        pitches[:, step] = padded
    return pitches


def to_midi(chorale: Chorale, qpm: float = 80.0, programs=DEFAULT_PROGRAMS, velocity: int = 80):
    """A four-track PrettyMIDI object (one instrument per voice, named after it)."""
    midi = pretty_midi.PrettyMIDI(initial_tempo=qpm)
    seconds_per_step = 60.0 / qpm / STEPS_PER_QUARTER
    numerator, denominator = chorale.meter
    if chorale.pickup:
        # A short first bar, as notation programs export an anacrusis.
        midi.time_signature_changes.append(pretty_midi.TimeSignature(chorale.pickup, 16, 0.0))
    midi.time_signature_changes.append(
        pretty_midi.TimeSignature(numerator, denominator, chorale.pickup * seconds_per_step)
    )
    key_number = chorale.key_tonic + (12 if chorale.key_mode == "minor" else 0)
    midi.key_signature_changes.append(pretty_midi.KeySignature(key_number, 0.0))
    tracks = [pretty_midi.Instrument(program=int(p), name=name) for p, name in zip(programs, VOICES)]
    for note in chorale.notes():
        tracks[note.voice].notes.append(
            pretty_midi.Note(velocity, note.pitch, note.start * seconds_per_step, note.end * seconds_per_step)
        )
    midi.instruments.extend(tracks)
    starts = np.flatnonzero(np.diff(np.concatenate([[False], chorale.fermatas]).astype(int)) == 1)
    ends = np.flatnonzero(np.diff(np.concatenate([chorale.fermatas, [False]]).astype(int)) == -1) + 1
    for start, end in zip(starts, ends):
        midi.text_events.append(pretty_midi.Text(f"{FERMATA_TEXT} {end - start}", start * seconds_per_step))
    return midi


def from_midi(source: str | Path | pretty_midi.PrettyMIDI, id: str | None = None) -> Chorale:
    """Read a four-voice MIDI file (four non-drum tracks, ordered high to low by mean pitch)."""
    midi = source if isinstance(source, pretty_midi.PrettyMIDI) else open_midi(Path(source))
    score = midi_score(midi)
    tracks = high_to_low(score.parts)
    if len(tracks) != len(VOICES):
        raise ScoreError(f"expected four voiced tracks, found {len(tracks)}")
    name = id or (Path(source).stem if not isinstance(source, pretty_midi.PrettyMIDI) else "midi")
    chorale, _ = chorale_on_grid(score, list(enumerate(tracks)), name)
    return chorale
