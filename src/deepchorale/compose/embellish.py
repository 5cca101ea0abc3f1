"""Embellish a harmonisation with DeepComposer's AR-CNN: iterative resampling with its four knobs.

The merged piano roll of the lower voices is edited one pixel per iteration (maximum notes to
add, maximum share of input notes to remove, sampling iterations, creative risk = temperature;
`deepchorale.sampling.arcnn_resample`). The soprano is never edited: only pixels strictly below it
may change, so the tune stays as given. The edited roll is read back into alto, tenor and bass as
its three highest notes under the soprano at each step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from deepchorale.data.chorale import REST
from deepchorale.data.convert import pitches_from_pianoroll, to_pianoroll
from deepchorale.models.arcnn import Arcnn
from deepchorale.precision import inference_autocast
from deepchorale.sampling.arcnn_resample import ResampleSettings, resample
from deepchorale.sampling.voice_leading import VoiceLeadingPrior


@dataclass(frozen=True)
class EmbellishSettings(ResampleSettings):
    """The AR-CNN's knobs plus the rules its edits must keep; values from `conf/compose.yaml`."""

    guard: VoiceLeadingPrior | None  # revert edits that break these rules (`keep_part_writing`)
    shortest: int  # 16ths: a lower-voice note the edits leave shorter than this is put back
    candidates: int  # embellishments drawn; compose's critic keeps the best


def keep_part_writing(before: np.ndarray, after: np.ndarray, rules: VoiceLeadingPrior) -> np.ndarray:
    """`after` with every edit that raises the rules' energy over `before` reverted.

    The AR-CNN sees one merged roll, not voices, so an added note can form parallels or spacing
    faults with voices it never "saw" as such. A step whose energy rose is put back as it was in
    `before`, together with its changed neighbours (the other end of a parallel); repeated until
    no step is worse than before, which ends because every round reverts at least one step.
    """
    result = after.copy()
    baseline = rules.cell_energy(torch.from_numpy(before[None].astype(np.int64)))[0].numpy()
    for _ in range(before.shape[1]):
        energy = rules.cell_energy(torch.from_numpy(result[None].astype(np.int64)))[0].numpy()
        worse = (energy > baseline + 1e-6).any(0)
        if not worse.any():
            break
        around = worse | np.roll(worse, 1) | np.roll(worse, -1)
        around &= (result != before).any(0)
        if not around.any():
            break
        result[:, around] = before[:, around]
    return result


def without_short_notes(before: np.ndarray, after: np.ndarray, shortest: int) -> np.ndarray:
    """`after` with every lower-voice note shorter than `shortest` steps that the edits made put back
    as it was in `before`. The AR-CNN edits single 16th pixels, so its added and moved notes are
    16ths; Bach's lower voices move in 8ths (bass 16ths are 0.2 % of his notes, ours were 5 %)."""
    result = after.copy()
    for voice in range(1, len(result)):
        for _ in range(result.shape[1]):
            line = result[voice]
            starts = np.flatnonzero(np.concatenate([[True], line[1:] != line[:-1]]))
            ends = np.concatenate([starts[1:], [len(line)]])
            short = [
                (start, end)
                for start, end in zip(starts, ends)
                if end - start < shortest and (line[start:end] != before[voice, start:end]).any()
            ]
            if not short:
                break
            for start, end in short:
                result[voice, start:end] = before[voice, start:end]
    return result


def below_soprano(pitches: np.ndarray) -> np.ndarray:
    """(T, 128) True on the pixels under the soprano's pitch (everywhere when the soprano rests)."""
    soprano = np.where(pitches[0] == REST, 128, pitches[0])
    return np.arange(128)[None, :] < soprano[:, None]


def embellish(
    model: Arcnn,
    pitches: np.ndarray,
    settings: EmbellishSettings,
    generator: torch.Generator | None = None,
    frozen_from: int | None = None,
) -> np.ndarray:
    """(4, T) pitches after AR-CNN resampling of the lower voices; the soprano is unchanged, and so
    is everything from step `frozen_from` on (the final cadence)."""
    lower = to_pianoroll(pitches[1:])
    editable = below_soprano(pitches)
    if frozen_from is not None:
        editable[frozen_from:] = False
    device = model.device
    with torch.no_grad(), inference_autocast(device):
        edited = resample(
            model.eval(),
            torch.from_numpy(lower[None].astype(np.float32)).to(device),
            iterations=settings.iterations,
            max_notes_to_add=settings.max_notes_to_add,
            max_remove_fraction=settings.max_remove_fraction,
            temperature=settings.temperature,
            generator=generator,
            editable=torch.from_numpy(editable[None]).to(device),
        )
    result = pitches.copy()
    result[1:] = pitches_from_pianoroll(edited[0].bool().cpu().numpy())[:3]
    if frozen_from is not None:
        result[:, frozen_from:] = pitches[:, frozen_from:]  # the voices themselves, not re-ranked
    result = without_short_notes(pitches, result, settings.shortest)
    return keep_part_writing(pitches, result, settings.guard) if settings.guard else result
