"""Melody-conditioned WGAN-GP: given the soprano, write alto, tenor and bass (issue #8).

References: AWS DeepComposer's GAN lab (aws-samples/aws-deepcomposer-samples, gan/): JSB as 2-bar
snippets (32 steps x 128 pitches x 4 tracks in {-1, 1}), U-Net generator with noise at the
bottleneck, 4-conv critic, WGAN-GP (Gulrajani et al. 2017) with lambda 10, Adam 1e-3 betas (0.5,
0.9), 5 critic steps per generator step; MuseGAN (Dong et al. 2018): batch 64, 50 k steps.

Representation: one piano roll per voice, (4, T, 48) in {-1, 1}, 1 where the voice sounds that
pitch. The rows are MIDI 36-83: the corpus (transpositions included) spans 36-81, and 48 rows halve
cleanly through the nets' four strided levels where DeepComposer's 128 rows would be 62 % always
off. A rest is an all -1 row; a repeated note merges into one held note, as in DeepComposer's rolls,
which have no onset plane. Generated rolls are read back one pitch per voice and step: the argmax,
or a rest where no pitch is above 0.

Any length: a window is `context_steps` already written steps (one 4/4 bar) then `snippet_steps`
to write (DeepComposer's two bars). Training windows are the data's crops; the generator sees the
lower voices of the first `context_steps` as given, except in a `context_dropout` share of windows
where it writes the whole window (as it must for a piece's opening). `infill` walks a melody of
any length chunk by chunk, each chunk conditioned on the bar before it (what it just wrote) and on
one noise vector per piece, so the chunks join without seams.
Training (WGAN-GP, the step counting) is `deepchorale.training.gan`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from deepchorale.data.chorale import REST
from deepchorale.models.protocol import packaged_sampler
from deepchorale.sampling.line_decoding import LinePriors, decode_lines

PITCH_LOW = 36
PITCH_ROWS = 48
# Rolls are in (-1, 1): read as logits, times this, a row 1 above the others is e^8 likelier.
ROLL_SHARPNESS = 8.0
# The states `decoded_pitches` reads: a roll's rows, then a rest.
STATE_PITCHES = torch.cat([torch.arange(PITCH_LOW, PITCH_LOW + PITCH_ROWS), torch.tensor([REST])])


@dataclass(frozen=True)
class GanSettings(LinePriors):
    """How the GAN draws: `noise_scale` multiplies the noise vector (1 = as trained; below 1 is the
    truncation trick, safer and less varied). Its rolls are read as the likeliest lines
    (`sampling/line_decoding.py`) under the inherited `LinePriors`; all 0 read each cell's
    strongest row, as the rolls were first read."""

    noise_scale: float = 1.0


def voice_rolls(pitches: Tensor) -> Tensor:
    """(B, V, T) MIDI pitches (-1 = rest) -> (B, V, T, 48) float rolls in {-1, 1}."""
    sounding = pitches != REST
    outside = sounding & ((pitches < PITCH_LOW) | (pitches >= PITCH_LOW + PITCH_ROWS))
    if outside.any():
        pitch = int(pitches[outside][0])
        raise ValueError(f"pitch {pitch} is outside the GAN's range {PITCH_LOW}-{PITCH_LOW + PITCH_ROWS - 1}")
    rows = F.one_hot((pitches - PITCH_LOW).clamp(0, PITCH_ROWS - 1), PITCH_ROWS).bool()
    return (rows & sounding.unsqueeze(-1)).float() * 2 - 1


def pitches_from_rolls(rolls: Tensor) -> Tensor:
    """(B, V, T, 48) rolls -> (B, V, T) pitches: the strongest row, or a rest where none is above 0."""
    strongest, row = rolls.max(-1)
    return torch.where(strongest > 0, row + PITCH_LOW, REST)


def rolls_log_probs(rolls: Tensor) -> Tensor:
    """(..., 48) rolls -> (..., 49) log-probabilities of each row and of a rest, as the supervised
    term trains them (`training.gan.reconstruction_loss`): a row's logit is `ROLL_SHARPNESS` times
    its value, a rest's 0."""
    logits = torch.cat([rolls.float() * ROLL_SHARPNESS, rolls.new_zeros((*rolls.shape[:-1], 1))], -1)
    return logits.log_softmax(-1)


def decoded_pitches(
    rolls: Tensor, pitches: Tensor, keep: Tensor, first_step: int, settings: GanSettings
) -> Tensor:
    """(B, 3, T, 48) lower-voice rolls over (B, 4, T) `pitches` -> (B, 3, T) lower-voice pitches:
    the likeliest lines under `settings`' priors (`decode_lines`), with the cells where `keep`
    is True held at `pitches`'s; step 0 is the piece's step `first_step`."""
    log_probs = rolls_log_probs(rolls)
    fixed = pitches[:, 1:]
    fixed_state = torch.where(fixed == REST, PITCH_ROWS, fixed - PITCH_LOW).clamp(0, PITCH_ROWS)
    given = F.one_hot(fixed_state, PITCH_ROWS + 1).bool()
    log_probs = torch.where(keep[..., None], torch.where(given, 0.0, -torch.inf), log_probs)
    lines = decode_lines(log_probs, STATE_PITCHES, pitches[:, 0], first_step, settings)
    return STATE_PITCHES.to(lines.device)[lines]


def given_plane(given: Tensor, like: Tensor) -> Tensor:
    """(B, T) bool -> (B, 1, T, 48) in {-1, 1}: which steps' lower voices are given."""
    return (given.to(like.dtype) * 2 - 1)[:, None, :, None].expand(-1, 1, -1, like.shape[-1])


def condition_planes(rolls: Tensor, given: Tensor) -> Tensor:
    """The generator's input: the soprano, the lower voices on given steps (-1 elsewhere), the plane."""
    lower = torch.where(given[:, None, :, None], rolls[:, 1:], -1.0)
    return torch.cat([rolls[:, :1], lower, given_plane(given, rolls)], 1)


class Gan(nn.Module):
    """A trained GAN generator as compose holds it: accompanies a soprano of any length chunk by
    chunk (`infill`, the `Infiller` protocol)."""

    def __init__(
        self,
        generator: nn.Module,
        context_steps: int = 16,
        snippet_steps: int = 32,
        sampler: dict | None = None,
    ) -> None:
        super().__init__()
        self.generator = generator
        self.context_steps, self.snippet_steps = context_steps, snippet_steps
        # Knobs a weights file predates take the shipped values (conf/sampler/gan.yaml).
        self.sampler = GanSettings(**{**packaged_sampler("gan"), **(sampler or {})})

    @property
    def device(self) -> torch.device:
        return next(self.generator.parameters()).device

    def noise(self, count: int, generator: torch.Generator | None) -> Tensor:
        device = generator.device if generator is not None else self.device
        shape = (count, self.generator.latent_dim)
        return torch.randn(shape, generator=generator, device=device).to(self.device)

    @torch.no_grad()
    def infill(
        self, pitches: Tensor, mask: Tensor, settings: GanSettings, generator: torch.Generator | None
    ) -> Tensor:
        """(B, 4, T) pitches, any T, with the lower voices' cells where `mask` is True written chunk
        by chunk (`snippet_steps`, each after `context_steps` of what is already there) from one
        noise vector per piece scaled by `settings.noise_scale`; the soprano is never generated."""
        if mask[:, 0].any():
            raise ValueError("the GAN accompanies a given soprano: the mask must not hide soprano cells")
        context, snippet = self.context_steps, self.snippet_steps
        result, mask = pitches.to(self.device).clone(), mask.to(self.device)
        noise = self.noise(len(result), generator) * settings.noise_scale
        was_training = self.generator.training
        self.generator.eval()  # batch norm must use its running statistics
        try:
            for start in range(0, result.shape[-1], snippet):
                low, high = max(start - context, 0), min(start + snippet, result.shape[-1])
                given = ~mask[:, 1:, low:high].any(1)
                given[:, : start - low] = True  # the bar before: written already, or given
                rolls = voice_rolls(result[:, :, low:high])
                written = self.generator(condition_planes(rolls, given), noise)
                keep = ~mask[:, 1:, low:high]
                keep[..., : start - low] = True
                result[:, 1:, low:high] = decoded_pitches(
                    written, result[:, :, low:high], keep, low, settings
                )
        finally:
            self.generator.train(was_training)
        return result.to(pitches.device)

    def generate_examples(
        self, batch: dict[str, Tensor], count: int, generator: torch.Generator
    ) -> list[np.ndarray]:
        """Accompany the soprano of the first `count` windows: (4, T) int16 pitch arrays. The
        callback passes the same windows (the first validation ones) and the same seed every
        epoch: fixed melodies, fixed noise."""
        pitches, valid = batch["pitches"][:count], batch["valid"][:count]
        mask = torch.zeros_like(pitches, dtype=torch.bool)
        mask[:, 1:] = valid.unsqueeze(1)
        accompanied = self.infill(pitches, mask, self.sampler, generator)
        return [window.cpu().numpy().astype(np.int16) for window in accompanied]
