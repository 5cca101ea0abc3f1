"""Qualified-note rate, QN (Dong et al. 2018, MuseGAN), at the 16th-note grid."""

from __future__ import annotations

from deepchorale.data.chorale import Chorale
from deepchorale.evaluation.metrics.grid import mean_per_voice, notes

MIN_STEPS = 3  # a dotted eighth at 16ths


def qualified_note_rate(chorale: Chorale, min_steps: int = MIN_STEPS) -> dict[str, float]:
    """Share of notes lasting at least `min_steps` steps, per voice and over all notes ("all").

    MuseGAN counts a note as qualified when it lasts at least 3 time steps of its grid, which has
    24 steps per beat, so 3 steps is a 32nd note: at our 16th-note grid every note would qualify.
    We keep the step count instead: at 16ths a note qualifies when it lasts at least 3 steps, a
    dotted eighth. Eighths and sixteenths, the chorales' passing and neighbour notes, are then
    "unqualified", so Bach scores below 1, while a fragmented output (e.g. from pixel-wise AR-CNN
    sampling) made of one- and two-step notes scores much lower. NaN for a voice without notes.

    Source: Dong et al., "MuseGAN", AAAI 2018, metric QN (their training data: 82-90%).
    Pypianoroll 1.0.4's version underflows on boolean input and uses a strict "longer than".
    """
    found = notes(chorale)
    return mean_per_voice(found.voice, found.duration >= min_steps)
