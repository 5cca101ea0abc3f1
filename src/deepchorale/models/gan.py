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

Step counting: each training batch is one critic update; after every `critic_steps` of them the
generator is updated once, on that batch's melodies. Only the generator's update goes through
Lightning's optimizer wrapper; the critic steps its raw torch optimizer, so Lightning's
`global_step` counts generator steps: `trainer.max_steps=N` stops after N generator and
`critic_steps * N` critic updates (N x critic_steps batches), and `val_check_interval`,
checkpoints' step counts and the schedulers (stepped by hand once per generator step) all count
generator steps too. Train metrics are logged on generator steps only, with
`train/generator_step` in each row, since the loggers' step axis is Lightning's batch count.
The critic's raw step skips the precision plugin's gradient scaling, which only `16-mixed` needs:
that precision is refused; bf16-mixed and 32-true work.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import lightning.pytorch as pl
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from deepchorale.data.chorale import REST
from deepchorale.models.generator import packaged_sampler
from deepchorale.models.optimizers import optimizer_config

PITCH_LOW = 36
PITCH_ROWS = 48


@dataclass(frozen=True)
class GanSettings:
    """How the GAN draws: `noise_scale` multiplies the noise vector (1 = as trained; below 1 is the
    truncation trick, safer and less varied)."""

    noise_scale: float


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


def given_plane(given: Tensor, like: Tensor) -> Tensor:
    """(B, T) bool -> (B, 1, T, 48) in {-1, 1}: which steps' lower voices are given."""
    return (given.to(like.dtype) * 2 - 1)[:, None, :, None].expand(-1, 1, -1, like.shape[-1])


def condition_planes(rolls: Tensor, given: Tensor) -> Tensor:
    """The generator's input: the soprano, the lower voices on given steps (-1 elsewhere), the plane."""
    lower = torch.where(given[:, None, :, None], rolls[:, 1:], -1.0)
    return torch.cat([rolls[:, :1], lower, given_plane(given, rolls)], 1)


def gradient_penalty(
    critic: nn.Module, real: Tensor, fake: Tensor, generator: torch.Generator | None = None
) -> Tensor:
    """WGAN-GP's penalty E[(||grad critic(x)||_2 - 1)^2] at x on random lines between real and fake
    examples (Gulrajani et al. 2017, algorithm 1), in fp32 even under autocast: the squared norm
    of bf16 gradients loses the precision that keeps the critic 1-Lipschitz."""
    with torch.autocast(real.device.type, enabled=False):
        real, fake = real.float(), fake.float()
        share = torch.rand(len(real), *[1] * (real.dim() - 1), generator=generator, device=real.device)
        between = (share * real + (1 - share) * fake).requires_grad_(True)
        (gradient,) = torch.autograd.grad(critic(between).sum(), between, create_graph=True)
        return ((gradient.flatten(1).norm(dim=1) - 1) ** 2).mean()


class GanModule(pl.LightningModule):
    """Trains a generator (`MuseganGenerator` or `UnetGenerator`, `models/gan_nets.py`) against
    the `Critic` by WGAN-GP, and accompanies melodies with it (the generator protocol).

    Metrics: train/critic_loss (D(fake) - D(real) + lambda GP, averaged over the critic steps since
    the last generator step), train/wasserstein (D(real) - D(fake), the critic's distance
    estimate), train/gradient_penalty, train/loss (the generator's, -D(fake), as every model's
    train/loss is what its trained net minimises); val/loss and test/loss
    are the Wasserstein estimate on the evaluation windows with fixed noise: lower means the
    fakes are closer for this critic, but critics change, so select checkpoints by the sample
    metrics (`samples/judge_score`, conf/experiment/gan_small.yaml).
    """

    def __init__(
        self,
        generator: nn.Module,
        critic: nn.Module,
        optimizer: functools.partial,
        scheduler: functools.partial | None = None,
        gradient_penalty_weight: float = 10.0,
        critic_steps: int = 5,
        context_steps: int = 16,
        snippet_steps: int = 32,
        context_dropout: float = 0.25,
        eval_seed: int = 0,
        sampler: dict | None = None,
    ) -> None:
        super().__init__()
        if critic_steps < 1 or snippet_steps < 1 or context_steps < 0:
            raise ValueError("critic_steps and snippet_steps must be positive, context_steps not negative")
        self.automatic_optimization = False
        self.sampler = GanSettings(**(sampler if sampler is not None else packaged_sampler("gan")))
        self.save_hyperparameters(logger=False, ignore=["generator", "critic", "optimizer", "scheduler"])
        # Hydra partials are code, not data: kept off the checkpoint so it loads with weights_only=True.
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        self.generator, self.critic = generator, critic
        self.critic_updates = 0  # since training began; saved in checkpoints so resumes keep the rhythm
        self.critic_sums: dict[str, Tensor] = {}

    def on_fit_start(self) -> None:
        if self.trainer.precision == "16-mixed":
            raise ValueError(
                "the GAN trains in bf16-mixed or 32-true: its critic skips fp16 gradient scaling"
            )

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["critic_updates"] = self.critic_updates

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        self.critic_updates = checkpoint.get("critic_updates", 0)

    def noise(self, count: int, generator: torch.Generator | None) -> Tensor:
        device = generator.device if generator is not None else self.device
        shape = (count, self.generator.latent_dim)
        return torch.randn(shape, generator=generator, device=device).to(self.device)

    def given_steps(self, batch: dict[str, Tensor], keep_context: Tensor) -> Tensor:
        """(B, T): the context steps of the windows that keep their context."""
        steps = torch.arange(batch["valid"].shape[1], device=self.device)
        return (steps < self.hparams.context_steps) & keep_context.unsqueeze(1)

    def fakes(self, real: Tensor, valid: Tensor, given: Tensor, noise: Tensor) -> Tensor:
        """Real soprano and given steps, generated lower voices elsewhere, silence on padding."""
        written = self.generator(condition_planes(real, given), noise)
        lower = torch.where(given[:, None, :, None], real[:, 1:], written)
        lower = torch.where(valid[:, None, :, None], lower, -1.0)
        return torch.cat([real[:, :1], lower], 1)

    def judged(self, rolls: Tensor, given: Tensor) -> Tensor:
        return torch.cat([rolls, given_plane(given, rolls)], 1)

    def training_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        generator_optimizer, critic_optimizer = self.optimizers()
        real, valid = voice_rolls(batch["pitches"]), batch["valid"]
        keep = torch.rand(len(real), device=self.device) >= self.hparams.context_dropout
        given = self.given_steps(batch, keep)

        with torch.no_grad():
            fake = self.fakes(real, valid, given, self.noise(len(real), None))
        real_in, fake_in = self.judged(real, given), self.judged(fake, given)
        wasserstein = self.critic(real_in).mean() - self.critic(fake_in).mean()
        penalty = gradient_penalty(self.critic, real_in, fake_in)
        critic_loss = -wasserstein + self.hparams.gradient_penalty_weight * penalty
        critic_optimizer.zero_grad()
        self.manual_backward(critic_loss)
        critic_optimizer.optimizer.step()  # the raw optimizer: not counted in global_step
        self.critic_updates += 1
        for name, value in (
            ("critic_loss", critic_loss),
            ("wasserstein", wasserstein),
            ("gradient_penalty", penalty),
        ):
            # Tensors, not floats: no device sync per critic step.
            self.critic_sums[name] = self.critic_sums.get(name, 0.0) + value.detach()

        if self.critic_updates % self.hparams.critic_steps:
            return
        self.critic.requires_grad_(False)  # the generator's loss needs gradients through it, not for it
        try:
            fake = self.fakes(real, valid, given, self.noise(len(real), None))
            generator_loss = -self.critic(self.judged(fake, given)).mean()
            generator_optimizer.zero_grad()
            self.manual_backward(generator_loss)
            generator_optimizer.step()  # through Lightning: one global_step
        finally:
            self.critic.requires_grad_(True)
        for scheduler in self.hand_stepped_schedulers():
            scheduler.step()
        size = len(real)
        self.log("train/loss", generator_loss, prog_bar=True, batch_size=size)
        for name, total in self.critic_sums.items():
            self.log(f"train/{name}", total / self.hparams.critic_steps, batch_size=size)
        self.log("train/generator_step", float(self.global_step), batch_size=size)
        self.critic_sums = {}

    def hand_stepped_schedulers(self) -> list:
        schedulers = self.lr_schedulers()
        if schedulers is None:
            return []
        return schedulers if isinstance(schedulers, list) else [schedulers]

    def evaluate(self, batch: dict[str, Tensor], batch_idx: int, stage: str) -> None:
        # Fixed noise per batch, and every window keeps its context: epochs compare.
        generator = torch.Generator(device=self.device).manual_seed(self.hparams.eval_seed + batch_idx)
        real, valid = voice_rolls(batch["pitches"]), batch["valid"]
        given = self.given_steps(batch, torch.ones(len(real), dtype=torch.bool, device=self.device))
        fake = self.fakes(real, valid, given, self.noise(len(real), generator))
        distance = self.critic(self.judged(real, given)).mean() - self.critic(self.judged(fake, given)).mean()
        self.log(f"{stage}/loss", distance, batch_size=len(real), sync_dist=True)

    def validation_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        self.evaluate(batch, batch_idx, "val")

    def test_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        self.evaluate(batch, batch_idx, "test")

    def configure_optimizers(self):
        configs = [
            optimizer_config(net.parameters(), self.optimizer_factory, self.scheduler_factory)
            for net in (self.generator, self.critic)
        ]
        optimizers = [config["optimizer"] for config in configs]
        # Stepped by hand once per generator step (training_step), never by Lightning.
        schedulers = [config["lr_scheduler"]["scheduler"] for config in configs if "lr_scheduler" in config]
        return optimizers, schedulers

    @torch.no_grad()
    def infill(
        self, pitches: Tensor, mask: Tensor, settings: GanSettings, generator: torch.Generator | None
    ) -> Tensor:
        """(B, 4, T) pitches, any T, with the lower voices' cells where `mask` is True written chunk
        by chunk (`snippet_steps`, each after `context_steps` of what is already there) from one
        noise vector per piece scaled by `settings.noise_scale`; the soprano is never generated."""
        if mask[:, 0].any():
            raise ValueError("the GAN accompanies a given soprano: the mask must not hide soprano cells")
        context, snippet = self.hparams.context_steps, self.hparams.snippet_steps
        result, mask = pitches.to(self.device).clone(), mask.to(self.device)
        noise = self.noise(len(result), generator) * settings.noise_scale
        was_training = self.training
        self.eval()  # batch norm must use its running statistics
        try:
            for start in range(0, result.shape[-1], snippet):
                low, high = max(start - context, 0), min(start + snippet, result.shape[-1])
                given = ~mask[:, 1:, low:high].any(1)
                given[:, : start - low] = True  # the bar before: written already, or given
                rolls = voice_rolls(result[:, :, low:high])
                written = pitches_from_rolls(self.generator(condition_planes(rolls, given), noise))
                chunk = result[:, 1:, start:high]
                result[:, 1:, start:high] = torch.where(
                    mask[:, 1:, start:high], written[..., start - low :], chunk
                )
        finally:
            self.train(was_training)
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
