"""Harmonise a soprano line with Coconet, for any length without seams.

Coconet is fully convolutional, so by default the whole piece is one block: every Gibbs step
redraws cells anywhere in it, and each cell is conditioned on music both before and after it.
For pieces or models too big for memory, `window` bounds the block: each window of `window` steps
overlaps the previous one by `overlap` steps, given to the model as known context (clamped), so
every new window continues the voice leading it inherits instead of starting afresh: no seams,
and memory stays flat. Windows cost more per note (the overlap is computed again) and only see
the past. Inside a block, annealed blocked Gibbs (Yao et al. 2014, as Coconet) redraws the alto,
tenor and bass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from deepchorale.compose.refine import RefineSettings
from deepchorale.data.chorale import REST, SATB_RANGES
from deepchorale.models.gan import GanSettings
from deepchorale.models.protocol import Infiller
from deepchorale.precision import inference_autocast
from deepchorale.sampling.gibbs import GibbsSettings


@dataclass(frozen=True)
class HarmonySettings(GibbsSettings):
    """Coconet's sampler settings plus how the piece is cut and how many harmonisations are drawn;
    no defaults here: users get `conf/sampler/coconet.yaml` and `conf/compose.yaml`'s `harmonize`."""

    window: int | None  # None = the whole piece as one block
    overlap: int  # with a window: steps each window inherits from the previous one
    candidates: int  # harmonisations drawn; the one the critic scores highest is kept


def tonic_in_bass(tonic: int, near: int = 48) -> int:
    low, high = SATB_RANGES[3]
    candidates = [p for p in range(low, high + 1) if p % 12 == tonic]
    return min(candidates, key=lambda p: abs(p - near))


def generated_cells(soprano: np.ndarray, final_tonic: int | None) -> np.ndarray:
    """(4, T) True on the cells `harmonize` draws: the alto, tenor and bass, except (with
    `final_tonic`) the bass under the last soprano note, which is clamped to the tonic."""
    generated = np.zeros((4, len(soprano)), bool)
    generated[1:] = True
    if final_tonic is not None:
        sounding = np.flatnonzero(soprano != REST)
        last_note = sounding[-1]
        while last_note > 0 and soprano[last_note - 1] == soprano[sounding[-1]]:
            last_note -= 1
        generated[3, last_note:] = False
    return generated


def harmonize(
    model: Infiller,
    soprano: np.ndarray,
    settings: HarmonySettings,
    *,
    final_tonic: int | None,
    generator: torch.Generator | None,
    sampler: GanSettings | RefineSettings | None = None,
) -> np.ndarray:
    """(4, T) pitches: `soprano` clamped, alto, tenor and bass sampled by `model.infill` under
    `settings` (Coconet's: annealed blocked Gibbs); `settings.window` None = one block.

    With `final_tonic` (a pitch class) the bass under the last soprano note is clamped to the
    tonic, so the piece ends on a cadence in its key whatever the sampler does. `sampler` is what
    `model.infill` draws with where that is not `settings` itself (Coconet's Gibbs settings): the
    GAN's `GanSettings` (harmoniser=gan), or Coconet's refining a GAN draft (harmoniser=gan+coconet).
    """
    length = len(soprano)
    window, overlap = settings.window, settings.overlap
    if window is None:
        window, overlap = max(length, 1), 0
    if not 0 <= overlap < window:
        raise ValueError(f"overlap {overlap} must be in [0, window {window})")
    pitches = np.full((4, length), REST, np.int64)
    pitches[0] = soprano
    known = ~generated_cells(soprano, final_tonic)
    if final_tonic is not None:
        pitches[3] = np.where(known[3], tonic_in_bass(final_tonic), REST)
    device = model.device
    hop = window - overlap
    with torch.no_grad(), inference_autocast(device):
        for start in range(0, max(length - overlap, 1), hop):
            stop = min(start + window, length)
            hidden = ~known[:, start:stop]
            if hidden.any():
                chunk = torch.from_numpy(pitches[None, :, start:stop]).to(device)
                mask = torch.from_numpy(hidden[None]).to(device)
                sampled = model.infill(chunk, mask, settings if sampler is None else sampler, generator)
                pitches[:, start:stop] = sampled[0].cpu().numpy()
                known[:, start:stop] = True
    return pitches.astype(np.int16)
