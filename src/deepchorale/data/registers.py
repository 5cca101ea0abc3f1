"""Where a corpus's voices sing: each voice's register band (p2-p98 of its note pitches) and median.

Bach's, over the chorales' training split, are committed in `evaluation/reference/bach_registers.json`
(`python -m deepchorale.evaluation.reference` rebuilds the file, and a test checks it against a fresh
computation). Another corpus's travel with the models trained on it: `deepchorale train` stores its
training split's registers in the weights file, and `deepchorale data ... write_reference=true` writes
them as a file of the same format (`evaluation.reference.corpus_registers` computes both). compose
places a tune by the soprano's band, and the voice-leading prior's `range` rule keeps the lower
voices inside theirs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from deepchorale.data.chorale import VOICES

BANDS_PATH = Path(__file__).resolve().parents[3] / "evaluation" / "reference" / "bach_registers.json"
PITCHES = range(128)  # MIDI


class RegistersError(ValueError):
    """A registers file or record that is not four voices' bands and medians."""


@dataclass(frozen=True)
class Registers:
    """Each voice's band, (lowest, highest) MIDI pitch, and median pitch, soprano first; `source`
    says whose they are."""

    bands: tuple[tuple[int, int], ...]
    medians: tuple[int, ...]
    source: str

    def as_json(self, description: str, percentiles: tuple[float, float]) -> dict:
        """The committed file's format (`bach_registers.json`)."""
        return {
            "description": description,
            "percentiles": list(percentiles),
            "bands": {voice: list(band) for voice, band in zip(VOICES, self.bands)},
            "medians": dict(zip(VOICES, self.medians)),
        }

    def summary(self) -> str:
        """'S 62-78, A 58-71, T 53-66, B 41-60'"""
        return ", ".join(f"{voice[0].upper()} {low}-{high}" for voice, (low, high) in zip(VOICES, self.bands))


def registers_from_json(stored, source: str) -> Registers:
    """`Registers` from the committed format, checked: four voices, each band a pitch pair in order
    and its median inside it. RegistersError (naming `source`) otherwise."""

    def pitch(value, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value not in PITCHES:
            raise RegistersError(f"{source}: {where} is {value!r}, not a MIDI pitch (0-127)")
        return value

    if not isinstance(stored, dict) or not isinstance(stored.get("bands"), dict):
        raise RegistersError(
            f"{source}: no register bands (expected {{'bands': {{voice: [low, high]}}, ...}})"
        )
    medians = stored.get("medians")
    if not isinstance(medians, dict):
        raise RegistersError(f"{source}: no median pitches (expected {{'medians': {{voice: pitch}}, ...}})")
    bands, centres = [], []
    for voice in VOICES:
        band = stored["bands"].get(voice)
        if not isinstance(band, list) or len(band) != 2:
            raise RegistersError(f"{source}: the {voice}'s band is {band!r}, not [lowest, highest]")
        low, high = pitch(band[0], f"the {voice}'s lowest"), pitch(band[1], f"the {voice}'s highest")
        median = pitch(medians.get(voice), f"the {voice}'s median")
        if not low <= median <= high:
            raise RegistersError(f"{source}: the {voice}'s median {median} is outside its band {low}-{high}")
        bands.append((low, high))
        centres.append(median)
    return Registers(tuple(bands), tuple(centres), source)


def read_registers(path: str | Path) -> Registers:
    """A registers file (`bach_registers.json`'s format); RegistersError in one line otherwise."""
    path = Path(path)
    try:
        stored = json.loads(path.read_text())
    except FileNotFoundError:
        raise RegistersError(f"registers file {path} not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise RegistersError(f"{path} is not a readable registers file ({type(error).__name__})") from None
    return registers_from_json(stored, str(path))


@cache
def bach_registers() -> Registers:
    return registers_from_json(json.loads(BANDS_PATH.read_text()), "Bach chorales (train split)")


def bach_bands() -> np.ndarray:
    """The committed bands, (4, 2) MIDI pitches (lowest, highest) per voice, soprano first."""
    return np.array(bach_registers().bands, np.int64)


def bach_medians() -> np.ndarray:
    """The committed median note pitch per voice, (4,) MIDI, soprano first: where each voice centres."""
    return np.array(bach_registers().medians, np.int64)
