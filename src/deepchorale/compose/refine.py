"""A GAN's draft refined by Coconet: `deepchorale compose harmoniser=gan+coconet`.

The GAN writes alto, tenor and bass in one forward pass per bar: fast, with a texture of its own,
but nothing in it checks part-writing: on its own it writes parallel fifths and octaves at ten
times Bach's rate and a third of its sonorities off a triad or seventh (the gan_supervised card).
Coconet's annealed blocked Gibbs can start from that draft instead of from independent draws
(`gibbs_sample(..., from_draft=True)`): its first block redraws `pmax` of the generated cells
rather than Yao's 0.9, and the block shrinks from there, so what Coconet agrees with in the draft
survives and what it does not is rewritten under the voice-leading prior.
`experiments/gan_vs_coconet/` measures what that buys against either model alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from deepchorale.models.coconet import Coconet
from deepchorale.models.gan import Gan, GanSettings
from deepchorale.sampling.gibbs import GibbsSettings


@dataclass(frozen=True)
class RefineSettings(GibbsSettings):
    """Coconet's Gibbs settings for refining a draft, plus the share of the draft its first block
    redraws; no defaults here: users get `conf/sampler/coconet.yaml` and `conf/compose.yaml`'s
    `refine`."""

    pmax: float  # in [pmin, 1]: Yao's floor pmin = 0.1 is where the block stops shrinking


class DraftThenRefine:
    """compose's harmoniser for harmoniser=gan+coconet (an `Infiller`: untrained, it logs no
    training examples): the GAN drafts the lower voices under `draft_settings`, Coconet refines
    the draft under the `RefineSettings` it is given; both draw from the caller's generator."""

    def __init__(self, draft: Gan, draft_settings: GanSettings, refiner: Coconet):
        self.draft, self.draft_settings, self.refiner = draft, draft_settings, refiner

    @property
    def device(self) -> torch.device:
        return self.refiner.device

    def infill(
        self, pitches: Tensor, mask: Tensor, settings: RefineSettings, generator: torch.Generator | None
    ) -> Tensor:
        drafted = self.draft.infill(pitches, mask, self.draft_settings, generator)
        return self.refiner.infill(drafted, mask, settings, generator, draft_pmax=settings.pmax)
