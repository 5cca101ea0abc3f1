"""Builders for hand-made chorales, random in-range chorales and a MusPy view for cross-checks."""

from __future__ import annotations

import numpy as np
import pytest

from deepchorale.data.chorale import Chorale, Note, chorale_from_notes
from deepchorale.evaluation.metrics.grid import notes
from deepchorale.evaluation.metrics.range_violation_rate import VOICE_RANGES


def chords(*verticalities, steps: int = 4, **metadata) -> Chorale:
    """One (S, A, T, B) verticality every `steps` steps (None = rest), each voice re-struck every time."""
    built = [
        Note(voice, i * steps, (i + 1) * steps, pitch)
        for i, verticality in enumerate(verticalities)
        for voice, pitch in enumerate(verticality)
        if pitch is not None
    ]
    return chorale_from_notes("hand-made", built, len(verticalities) * steps, **metadata)


def voices(*lines: list[tuple[int | None, int]], **metadata) -> Chorale:
    """Up to four lines of (pitch or None for a rest, duration in steps), soprano first."""
    built = []
    for voice, line in enumerate(lines):
        step = 0
        for pitch, duration in line:
            if pitch is not None:
                built.append(Note(voice, step, step + duration, pitch))
            step += duration
    num_steps = max(sum(duration for _, duration in line) for line in lines)
    return chorale_from_notes("hand-made", built, num_steps, **metadata)


def random_chorale(rng: np.random.Generator, num_steps: int = 128, name: str = "random") -> Chorale:
    """Quarter-note chords, every voice drawn uniformly from its SATB range, in a random key."""
    built = [
        Note(voice, start, start + 4, int(rng.integers(low, high + 1)))
        for voice, (low, high) in enumerate(VOICE_RANGES)
        for start in range(0, num_steps, 4)
    ]
    return chorale_from_notes(name, built, num_steps, key_tonic=int(rng.integers(12)))


@pytest.fixture(scope="session")
def random_chorales() -> list[Chorale]:
    rng = np.random.default_rng(0)
    return [random_chorale(rng, name=f"random{i}") for i in range(60)]


@pytest.fixture(scope="session")
def to_muspy():
    """A function Chorale -> muspy.Music, built by hand from the notes (MusPy's readers are broken)."""
    muspy = pytest.importorskip("muspy")

    def convert(chorale: Chorale):
        found = notes(chorale)
        tracks = [muspy.Track() for _ in range(4)]
        for voice, start, end, pitch in zip(found.voice, found.start, found.end, found.pitch):
            tracks[voice].notes.append(
                muspy.Note(time=int(start), pitch=int(pitch), duration=int(end - start))
            )
        return muspy.Music(resolution=4, tracks=tracks)

    return convert
