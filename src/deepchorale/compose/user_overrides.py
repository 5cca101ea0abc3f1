"""The user's key and tempo for a melody, where given, over what was detected from it."""

from __future__ import annotations

import re
from dataclasses import replace

from deepchorale.compose.melody import Melody, MelodyError
from deepchorale.data.chorale import PITCH_CLASS_NAMES

# The sharps and flats that PITCH_CLASS_NAMES spells the other way.
ENHARMONIC_NAMES = {"Db": 1, "D#": 3, "Gb": 6, "G#": 8, "A#": 10}
TEMPO_RANGE = (20, 300)  # qpm


def parse_key(name: str) -> tuple[int, str]:
    """'D major' -> (2, 'major'); a name not like that raises MelodyError."""
    names = {**{n: i for i, n in enumerate(PITCH_CLASS_NAMES)}, **ENHARMONIC_NAMES}
    match = re.fullmatch(r"([A-G][#b]?)\s+(major|minor)", name.strip())
    if not match or match.group(1) not in names:
        raise MelodyError(f"key {name!r} is not like 'D major' or 'F# minor'")
    return names[match.group(1)], match.group(2)


def apply_overrides(melody: Melody, key: str | None, qpm: float | None) -> Melody:
    """`melody` in `key` at `qpm`, each where given (None = as detected)."""
    if key:
        tonic, mode = parse_key(key)
        melody = replace(melody, key_tonic=tonic, key_mode=mode)
    if qpm is not None:
        if not TEMPO_RANGE[0] <= qpm <= TEMPO_RANGE[1]:
            raise MelodyError(f"tempo {qpm} qpm is outside {TEMPO_RANGE[0]}-{TEMPO_RANGE[1]}")
        melody = replace(melody, qpm=float(qpm))
    return melody
