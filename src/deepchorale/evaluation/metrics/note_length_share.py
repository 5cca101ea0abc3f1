"""Note-length distribution per voice: how much of each line moves in 16ths, 8ths, quarters or longer."""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import VOICES, Chorale
from deepchorale.evaluation.metrics.grid import notes

# Lower bound of each length class in 16th steps: a 16th; an 8th or dotted 8th; a quarter up to a
# double-dotted quarter; a half note or longer.
LENGTH_CLASSES = {"sixteenth": 1, "eighth": 2, "quarter": 4, "half": 8}
BOUNDS = np.array(list(LENGTH_CLASSES.values()))
PARTS = tuple(f"{voice}_{length}" for voice in VOICES for length in LENGTH_CLASSES)


def note_length_share(chorale: Chorale) -> dict[str, float]:
    """Share of each voice's notes in each length class, as "{voice}_{class}".

    Classes by duration in 16th steps: `sixteenth` 1, `eighth` 2-3, `quarter` 4-7, `half` 8 or more
    (a half note or longer). A note lasts from its onset to its voice's next onset or rest
    (`grid.notes`), counted once whatever its length. A voice's four shares sum to 1; NaN for a
    voice without notes. Bach's chorales move in quarters with 8th-note passing and neighbour
    notes, 16ths rare and almost never in the bass; notes of a half or more mark the phrase ends.
    A generator's rhythm shows here voice by voice (16ths in the bass, fragmented inner voices, a
    soprano of only long notes), which `qualified_note_rate`'s single threshold blurs.

    Source: note-length histograms as a rhythm feature, Yang & Lerch, "On the evaluation of
    generative models in music", Neural Computing and Applications, 2018 (their note-length
    histogram, here per voice and in four classes).
    """
    found = notes(chorale)
    length_class = np.searchsorted(BOUNDS, found.duration, side="right") - 1
    counts = np.bincount(found.voice * len(BOUNDS) + length_class, minlength=len(PARTS))
    per_voice = counts.reshape(len(VOICES), len(BOUNDS)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):  # a voice without notes: NaN
        return dict(zip(PARTS, (counts / np.repeat(per_voice, len(BOUNDS))).tolist()))
