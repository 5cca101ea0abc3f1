"""Baroque ornaments by rule: passing and neighbour tones, suspensions, cadential trills.

The figures are the standard non-chord tones of chorale style (e.g. Gauldin, *Harmonic Practice
in Tonal Music*, ch. 6-7; Bach's own chorales are full of them): a plain harmonisation from a model
becomes a figured one. Every rule only splits an existing note, so the rhythm of the harmony stays
and no new vertical collisions appear except the ornament itself. `strength` is the chance that
an eligible place is ornamented; a seeded generator makes the result reproducible.

Passing, neighbour and suspension figures go to the lower voices only; the soprano carries the
given melody and is touched only by a cadential trill (and only when trills are on), so callers
get back the steps where the soprano was changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from deepchorale.data.chorale import REST, Chorale, Note, chorale_from_notes
from deepchorale.sampling.voice_leading import VoiceLeadingPrior

MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10, 11)  # natural minor plus the leading tone


@dataclass(frozen=True)
class OrnamentSettings:
    """Which figures to write and how often; no defaults here, users get `conf/compose.yaml`'s."""

    passing_tones: bool
    neighbour_tones: bool
    suspensions: bool
    cadential_trills: bool
    strength: float  # chance that an eligible place is ornamented
    guard: VoiceLeadingPrior | None  # a figure that breaks these rules is not written
    candidates: int  # ornamentations drawn; compose's critic keeps the best


def scale_pitches(tonic: int, mode: str) -> np.ndarray:
    degrees = MAJOR_SCALE if mode == "major" else MINOR_SCALE
    return np.array([p for p in range(128) if (p - tonic) % 12 in degrees])


def _step_between(scale: np.ndarray, low: int, high: int) -> int | None:
    """A scale tone strictly between two pitches a third apart, else None."""
    inside = scale[(scale > low) & (scale < high)]
    return int(inside[len(inside) // 2]) if 0 < high - low <= 4 and inside.size == 1 else None


def _neighbour(scale: np.ndarray, pitch: int, upper: bool) -> int:
    candidates = scale[scale > pitch] if upper else scale[scale < pitch][::-1]
    return int(candidates[0])


def _fits(pitches: np.ndarray, voice: int, start: int, end: int, pitch: int) -> bool:
    """The new pitch stays between the neighbouring voices (no crossing) over [start, end)."""
    above = pitches[voice - 1, start:end] if voice > 0 else np.array([])
    below = pitches[voice + 1, start:end] if voice < 3 else np.array([])
    return bool(np.all(above[above != REST] > pitch) and np.all(below[below != REST] < pitch))


def _keeps_part_writing(
    pitches: np.ndarray, voice: int, start: int, end: int, pitch: int, rules: VoiceLeadingPrior | None
) -> bool:
    """Writing `pitch` over [start, end) in `voice` raises no rule's energy (parallels into or out
    of the figure, crossing, spacing) around it."""
    if rules is None:
        return True
    low, high = max(start - 1, 0), min(end + 1, pitches.shape[1])
    window = pitches[:, low:high].astype(np.int64)
    figured = window.copy()
    figured[voice, start - low : end - low] = pitch
    # One batch of both: the prior's cost here is its number of tensor operations, not their size.
    before, after = rules.cell_energy(torch.from_numpy(np.stack([window, figured]))).sum((1, 2))
    return bool(after <= before + 1e-6)


def ornament(
    chorale: Chorale, settings: OrnamentSettings, rng: np.random.Generator
) -> tuple[Chorale, np.ndarray]:
    """The ornamented chorale and a (T,) mask of the steps where the soprano changed."""
    scale = scale_pitches(chorale.key_tonic, chorale.key_mode)
    notes = sorted(chorale.notes(), key=lambda n: (n.voice, n.start))
    pitches = chorale.pitches
    cadences = set(np.flatnonzero(np.diff(chorale.fermatas.astype(int)) == 1) + 1) | {chorale.num_steps}
    soprano_changed = np.zeros(chorale.num_steps, bool)
    figured = []
    for index, note in enumerate(notes):
        following = notes[index + 1] if index + 1 < len(notes) else None
        joined = following is not None and following.voice == note.voice and following.start == note.end
        length = note.end - note.start
        half = note.start + length // 2
        chosen = None
        if note.voice > 0 and joined and length >= 4 and rng.random() < settings.strength:
            low, high = sorted((note.pitch, following.pitch))
            passing = _step_between(scale, low, high)
            if settings.passing_tones and passing is not None:
                chosen = (half, passing)
            elif settings.neighbour_tones and following.pitch == note.pitch:
                chosen = (half, _neighbour(scale, note.pitch, upper=bool(rng.random() < 0.5)))
            if chosen and not (
                _fits(pitches, note.voice, half, note.end, chosen[1])
                and _keeps_part_writing(pitches, note.voice, half, note.end, chosen[1], settings.guard)
            ):
                chosen = None
        if chosen:
            figured += [(note.voice, note.start, half, note.pitch), (note.voice, half, note.end, chosen[1])]
            continue
        previous = figured[-1] if figured and figured[-1][0] == note.voice else None
        suspended = (
            settings.suspensions
            and note.voice > 0
            and previous is not None
            and previous[2] == note.start
            and 1 <= previous[3] - note.pitch <= 2  # a falling step: delay it
            and length >= 4
            and _fits(pitches, note.voice, note.start, half, previous[3])
            and _keeps_part_writing(pitches, note.voice, note.start, half, previous[3], settings.guard)
            and rng.random() < settings.strength
        )
        if suspended:
            figured[-1] = (*previous[:2], half, previous[3])
            figured.append((note.voice, half, note.end, note.pitch))
            continue
        trill = (
            settings.cadential_trills
            and note.voice == 0
            and length >= 4
            and following is not None
            and following.voice == 0
            and following.end in cadences
            and note.end == following.start
            and rng.random() < settings.strength
        )
        if trill:
            upper = _neighbour(scale, note.pitch, upper=True)
            # Starts on the upper note, alternates in 16ths, ends on a held main note: U M U ... M.
            alternations = 2 * ((length - 1) // 2) - 1
            for offset in range(alternations):
                pitch = upper if offset % 2 == 0 else note.pitch
                figured.append((0, note.start + offset, note.start + offset + 1, pitch))
            figured.append((0, note.start + alternations, note.end, note.pitch))
            soprano_changed[note.start : note.end] = True
            continue
        figured.append((note.voice, note.start, note.end, note.pitch))
    result = chorale_from_notes(
        chorale.id,
        [Note(v, s, e, p) for v, s, e, p in figured if e > s],
        chorale.num_steps,
        chorale.fermatas,
        meter=chorale.meter,
        key_tonic=chorale.key_tonic,
        key_mode=chorale.key_mode,
        pickup=chorale.pickup,
    )
    return result, soprano_changed
