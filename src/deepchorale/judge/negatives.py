"""What is *not* Bach: the named families of negatives the Bach judge learns to reject.

DeepComposer's "AI judge" (AWS DeepComposer Chartbusters) rated random in-range four-note chords
close to real Bach, because it had never been shown them. Ours is shown every cheap way to look
like a chorale without being one, one named family each, so its failures can be read per family:

- other_composers: real polyphony by others (Palestrina, Monteverdi, the Trecento, Josquin, the
  Haydn/Mozart/Beethoven string quartets) from music21's offline corpus;
- random_chords, random_walks: in-range notes with no harmony or no counterpoint;
- shuffled_bars, permuted_voices, note_noise, voice_off_key, flat_rhythm: real Bach with one
  thing broken (order, register, some notes, one voice's key, rhythm);
- transposed: real Bach, every note moved a fifth to an octave up or down: nothing broken but
  where the voices sit, which only a judge that hears absolute pitch can tell (the evaluation
  judge; the critic, trained on transposed windows, cannot);
- generated: our own generators' samples, MIDI files from a folder (the extension point).

Every family is a function of its source (Bach chorales, or lengths to match) and a numpy
`Generator`, so it is deterministic given a seed. Corruptions of a split's Bach are that split's
negatives; other composers' pieces are split 80/10/10 by a hash of their file name.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from deepchorale.data.chorale import REST, SATB_RANGES, Chorale, Note, chorale_from_notes
from deepchorale.data.convert import from_midi
from deepchorale.data.split import SPLITS
from deepchorale.judge.other_composers import OtherComposersOptions, file_split, other_composers

# SATB ranges (MIDI) for the random families, close to the JSB ranges of Coconet (Huang et al. 2017).
VOICE_RANGES = SATB_RANGES
# Note values (steps) and their odds for the random families: close to the chorales' own
# (52% quarters, 34% eighths, 7% halves), so duration alone does not give them away.
DURATIONS = np.array([2, 4, 8, 16])
DURATION_ODDS = np.array([0.35, 0.5, 0.1, 0.05])


# --- random music --------------------------------------------------------------------------------


def random_durations(rng: np.random.Generator, length: int) -> np.ndarray:
    """Note start steps (with `length` appended) of a random rhythm filling `length` steps."""
    durations = rng.choice(DURATIONS, size=length // 2 + 1, p=DURATION_ODDS)
    bounds = np.concatenate([[0], np.cumsum(durations)])
    return np.append(bounds[bounds < length], length)


def random_chords(lengths: list[int], rng: np.random.Generator) -> list[Chorale]:
    """Chords of four independent in-range pitches, struck together with random durations."""
    pieces = []
    for index, length in enumerate(lengths):
        bounds = random_durations(rng, length)
        notes = [
            Note(voice, int(start), int(end), int(rng.integers(low, high + 1)))
            for start, end in itertools.pairwise(bounds)
            for voice, (low, high) in enumerate(VOICE_RANGES)
        ]
        pieces.append(chorale_from_notes(f"random_chords-{index}", notes, length))
    return pieces


def random_walks(lengths: list[int], rng: np.random.Generator) -> list[Chorale]:
    """Four independent voices, each a random walk (steps of up to a fourth) inside its range,
    with its own random rhythm: melodic lines without harmony or counterpoint."""
    pieces = []
    for index, length in enumerate(lengths):
        notes = []
        for voice, (low, high) in enumerate(VOICE_RANGES):
            pitch = int(rng.integers(low, high + 1))
            for start, end in itertools.pairwise(random_durations(rng, length)):
                notes.append(Note(voice, int(start), int(end), pitch))
                pitch += int(rng.integers(-5, 6))
                if not low <= pitch <= high:  # reflect off the range's edge
                    pitch = 2 * low - pitch if pitch < low else 2 * high - pitch
        pieces.append(chorale_from_notes(f"random_walks-{index}", notes, length))
    return pieces


# --- corrupted Bach ------------------------------------------------------------------------------


def _renamed(chorale: Chorale, family: str, **changes) -> Chorale:
    return replace(chorale, id=f"{family}-{chorale.id}", **changes)


def shuffled_bars(chorales: list[Chorale], rng: np.random.Generator) -> list[Chorale]:
    """The full bars in a random order other than the original: good bars, no form. A pickup and
    an incomplete last bar stay where they are, so every bar still starts on a downbeat."""
    pieces = []
    for chorale in chorales:
        bar = chorale.bar_steps
        starts = list(range(chorale.pickup, chorale.num_steps - bar + 1, bar))
        order = np.arange(len(starts))
        while len(starts) > 1 and np.array_equal(order, np.arange(len(starts))):
            order = rng.permutation(len(starts))
        tail = starts[-1] + bar if starts else chorale.pickup
        spans = [(0, chorale.pickup)] + [(starts[i], starts[i] + bar) for i in order]
        spans = [(a, b) for a, b in [*spans, (tail, chorale.num_steps)] if b > a]
        pitches = np.concatenate([chorale.pitches[:, a:b] for a, b in spans], axis=1)
        onsets = np.concatenate([chorale.onsets[:, a:b] for a, b in spans], axis=1)
        fermatas = np.concatenate([chorale.fermatas[a:b] for a, b in spans])
        # A note cut by a barline starts anew where its bar now begins.
        new_starts = np.cumsum([0] + [b - a for a, b in spans])[:-1]
        onsets[:, new_starts] |= pitches[:, new_starts] != REST
        pieces.append(_renamed(chorale, "shuffled_bars", pitches=pitches, onsets=onsets, fermatas=fermatas))
    return pieces


def permuted_voices(chorales: list[Chorale], rng: np.random.Generator) -> list[Chorale]:
    """Each voice moved by octaves into another voice's register (e.g. the bass line on top).

    Moving a voice by whole octaves keeps every harmony's pitch classes, so what breaks is spacing,
    register and which line is outermost. Only permutations that move the voices by two octaves
    or more in all are drawn: a merged piano roll cannot see a voice swap that moves nothing.
    """
    pieces = []
    for chorale in chorales:
        means = [float(v[v != REST].mean()) if np.any(v != REST) else 60.0 for v in chorale.pitches]
        candidates = []
        for order in itertools.permutations(range(4)):
            shifts = [12 * round((means[target] - means[voice]) / 12) for voice, target in enumerate(order)]
            if sum(abs(s) for s in shifts) >= 24:
                candidates.append(shifts)
        shifts = candidates[rng.integers(len(candidates))] if candidates else [24, 0, 0, -24]
        pitches = np.array(chorale.pitches, np.int16)
        for voice, shift in enumerate(shifts):
            sounding = pitches[voice] != REST
            pitches[voice, sounding] = np.clip(pitches[voice, sounding] + shift, 0, 127)
        pieces.append(_renamed(chorale, "permuted_voices", pitches=pitches))
    return pieces


def note_noise(chorales: list[Chorale], rng: np.random.Generator, share: float = 0.25) -> list[Chorale]:
    """A `share` of the notes (whole notes, not steps) given a random pitch in their voice's range."""
    pieces = []
    for chorale in chorales:
        pitches = np.array(chorale.pitches, np.int16)
        for note in chorale.notes():
            if rng.random() < share:
                low, high = VOICE_RANGES[note.voice]
                pitches[note.voice, note.start : note.end] = rng.integers(low, high + 1)
        pieces.append(_renamed(chorale, "note_noise", pitches=pitches))
    return pieces


def voice_off_key(chorales: list[Chorale], rng: np.random.Generator) -> list[Chorale]:
    """One voice transposed by a non-octave interval (±1, ±2 or ±6 semitones): four good lines,
    one of them in the wrong key against the others."""
    pieces = []
    for chorale in chorales:
        pitches = np.array(chorale.pitches, np.int16)
        voice = int(rng.integers(4))
        sounding = pitches[voice] != REST
        shift = int(rng.choice([-6, -2, -1, 1, 2, 6]))
        pitches[voice, sounding] = np.clip(pitches[voice, sounding] + shift, 0, 127)
        pieces.append(_renamed(chorale, "voice_off_key", pitches=pitches))
    return pieces


def flat_rhythm(chorales: list[Chorale], rng: np.random.Generator) -> list[Chorale]:
    """Every voice re-sampled as a chain of equal notes (all eighths, quarters or halves, one value
    per piece): the pitch sounding at each note's start, so the harmony stays and the rhythm goes."""
    pieces = []
    for chorale in chorales:
        duration = int(rng.choice([2, 4, 8]))
        starts = np.arange(0, chorale.num_steps, duration)
        held = np.repeat(chorale.pitches[:, starts], duration, axis=1)[:, : chorale.num_steps]
        onsets = np.zeros_like(chorale.onsets)
        onsets[:, starts] = True
        onsets &= held != REST
        pieces.append(_renamed(chorale, "flat_rhythm", pitches=held, onsets=onsets))
    return pieces


# --- our generators' samples ---------------------------------------------------------------------


def generated(folder: str | Path | None, split: str) -> list[Chorale]:
    """Four-track MIDI files (`*.mid`, `*.midi`) under `folder`, split by file name hash; files
    that are not four-voice MIDI are skipped. No folder, no pieces."""
    if folder is None:
        return []
    pieces = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in (".mid", ".midi")):
        if file_split(path.name) == split:
            try:
                pieces.append(from_midi(path, id=f"generated-{path.stem}"))
            except (ValueError, OSError, EOFError):
                continue
    return pieces


def transposed(chorales: list[Chorale], rng: np.random.Generator) -> list[Chorale]:
    """Each piece moved by 7 to 12 semitones up or down, the direction drawn per piece."""
    pieces = []
    for chorale in chorales:
        shift = int(rng.integers(7, 13)) * (1 if rng.random() < 0.5 else -1)
        sounding = chorale.pitches != REST
        pitches = np.where(sounding, np.clip(chorale.pitches.astype(np.int16) + shift, 0, 127), REST)
        pieces.append(_renamed(chorale, "transposed", pitches=pitches.astype(chorale.pitches.dtype)))
    return pieces


# --- the registry --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilySources:
    """What the families of one split are made from."""

    split: str
    bach: list[Chorale]  # the split's Bach: corrupted by the corruptions, lengths for the random ones
    cache_dir: str | Path = ".cache/deepchorale"
    other_composers: OtherComposersOptions = OtherComposersOptions()
    generated_dir: str | Path | None = None
    parse_workers: int | None = None


def _lengths(sources: FamilySources) -> list[int]:
    return [c.num_steps for c in sources.bach]


Family = Callable[[FamilySources, np.random.Generator], list[Chorale]]

FAMILIES: dict[str, Family] = {
    "other_composers": lambda s, rng: other_composers(
        s.split, s.cache_dir, s.other_composers, s.parse_workers
    ),
    "random_chords": lambda s, rng: random_chords(_lengths(s), rng),
    "random_walks": lambda s, rng: random_walks(_lengths(s), rng),
    "shuffled_bars": lambda s, rng: shuffled_bars(s.bach, rng),
    "permuted_voices": lambda s, rng: permuted_voices(s.bach, rng),
    "note_noise": lambda s, rng: note_noise(s.bach, rng),
    "voice_off_key": lambda s, rng: voice_off_key(s.bach, rng),
    "flat_rhythm": lambda s, rng: flat_rhythm(s.bach, rng),
    "transposed": lambda s, rng: transposed(s.bach, rng),
    "generated": lambda s, rng: generated(s.generated_dir, s.split),
}
# Family ids as batches carry them: 0 is Bach (the positives), then the registry's order.
FAMILY_NAMES = ("bach", *FAMILIES)


def make_family(name: str, sources: FamilySources, seed: int = 0) -> list[Chorale]:
    """One family's pieces for one split; its own random stream, so adding a family changes no other."""
    if name not in FAMILIES:
        raise ValueError(f"unknown negative family {name!r}; choose from {list(FAMILIES)}")
    rng = np.random.default_rng([seed, SPLITS.index(sources.split), FAMILY_NAMES.index(name)])
    return FAMILIES[name](sources, rng)
