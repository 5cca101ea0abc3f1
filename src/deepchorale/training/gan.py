"""Trains a melody-conditioned generator (`models/gan_nets.py`) against a critic by WGAN-GP; the
representation, the chunked `infill` and the references are in `models/gan.py`'s docstring.

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

import lightning.pytorch as pl
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from deepchorale.models.gan import (
    PITCH_ROWS,
    Gan,
    GanSettings,
    condition_planes,
    given_plane,
    rolls_log_probs,
    voice_rolls,
)
from deepchorale.training.optimizers import optimizer_config


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


def reconstruction_loss(written: Tensor, real: Tensor, cells: Tensor) -> Tensor:
    """Cross-entropy of the real lower voices under the generator's rolls, read as `Gan.infill`
    reads them (`models.gan.rolls_log_probs`): each row's logit is `ROLL_SHARPNESS` times its
    value and a rest's is 0, so the argmax is the cell's own pitch (a rest where no row is above
    0). Averaged over `cells` (B, 3, T), the cells the generator writes. The supervised term of a
    conditional GAN (pix2pix's L1, Isola et al. 2017): the generator learns Bach's chords from the
    data, the critic their texture."""
    target = torch.where(real.max(-1).values > 0, real.argmax(-1), PITCH_ROWS)
    loss = F.nll_loss(rolls_log_probs(written).flatten(0, 2), target.flatten(), reduction="none")
    return loss[cells.flatten()].mean()


class GanModule(pl.LightningModule):
    """Trains a generator (`MuseganGenerator` or `UnetGenerator`, `models/gan_nets.py`) against
    the `Critic` by WGAN-GP, and accompanies melodies with it (the generator protocol).

    Metrics: train/critic_loss (D(fake) - D(real) + lambda GP, averaged over the critic steps since
    the last generator step), train/wasserstein (D(real) - D(fake), the critic's distance
    estimate), train/gradient_penalty, train/loss (the generator's, -D(fake) plus
    `reconstruction_weight` times the reconstruction, as every model's train/loss is what its
    trained net minimises), train/reconstruction (`reconstruction_loss`, logged at any weight);
    val/loss and test/loss are the Wasserstein estimate on the evaluation windows with fixed noise:
    lower means the fakes are closer for this critic, but critics change, so select checkpoints by
    the sample metrics (`samples/judge_score`, conf/experiment/gan_small.yaml); val/reconstruction
    and test/reconstruction are the reconstruction there, nats per written cell.
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
        reconstruction_weight: float = 0.0,
    ) -> None:
        super().__init__()
        if critic_steps < 1 or snippet_steps < 1 or context_steps < 0:
            raise ValueError("critic_steps and snippet_steps must be positive, context_steps not negative")
        self.automatic_optimization = False
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
        return self.sampling_model().noise(count, generator)

    def given_steps(self, batch: dict[str, Tensor], keep_context: Tensor) -> Tensor:
        """(B, T): the context steps of the windows that keep their context."""
        steps = torch.arange(batch["valid"].shape[1], device=self.device)
        return (steps < self.hparams.context_steps) & keep_context.unsqueeze(1)

    def written(self, real: Tensor, given: Tensor, noise: Tensor) -> Tensor:
        """(B, 3, T, 48): the generator's lower voices for the windows of `real`."""
        return self.generator(condition_planes(real, given), noise)

    def fakes(self, real: Tensor, valid: Tensor, given: Tensor, written: Tensor) -> Tensor:
        """Real soprano and given steps, `written` lower voices elsewhere, silence on padding."""
        lower = torch.where(given[:, None, :, None], real[:, 1:], written)
        lower = torch.where(valid[:, None, :, None], lower, -1.0)
        return torch.cat([real[:, :1], lower], 1)

    @staticmethod
    def written_cells(valid: Tensor, given: Tensor) -> Tensor:
        """(B, 3, T): the lower voices' cells the generator writes (inside the piece, not given)."""
        return (valid & ~given)[:, None, :].expand(-1, 3, -1)

    def judged(self, rolls: Tensor, given: Tensor) -> Tensor:
        return torch.cat([rolls, given_plane(given, rolls)], 1)

    def training_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        generator_optimizer, critic_optimizer = self.optimizers()
        real, valid = voice_rolls(batch["pitches"]), batch["valid"]
        keep = torch.rand(len(real), device=self.device) >= self.hparams.context_dropout
        given = self.given_steps(batch, keep)

        with torch.no_grad():
            fake = self.fakes(real, valid, given, self.written(real, given, self.noise(len(real), None)))
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
            written = self.written(real, given, self.noise(len(real), None))
            fake = self.fakes(real, valid, given, written)
            generator_loss = -self.critic(self.judged(fake, given)).mean()
            reconstruction = reconstruction_loss(written, real[:, 1:], self.written_cells(valid, given))
            if self.hparams.reconstruction_weight:
                generator_loss = generator_loss + self.hparams.reconstruction_weight * reconstruction
            generator_optimizer.zero_grad()
            self.manual_backward(generator_loss)
            generator_optimizer.step()  # through Lightning: one global_step
        finally:
            self.critic.requires_grad_(True)
        for scheduler in self.hand_stepped_schedulers():
            scheduler.step()
        size = len(real)
        self.log("train/loss", generator_loss, prog_bar=True, batch_size=size)
        self.log("train/reconstruction", reconstruction, batch_size=size)
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
        written = self.written(real, given, self.noise(len(real), generator))
        fake = self.fakes(real, valid, given, written)
        distance = self.critic(self.judged(real, given)).mean() - self.critic(self.judged(fake, given)).mean()
        self.log(f"{stage}/loss", distance, batch_size=len(real), sync_dist=True)
        reconstruction = reconstruction_loss(written, real[:, 1:], self.written_cells(valid, given))
        self.log(f"{stage}/reconstruction", reconstruction, batch_size=len(real), sync_dist=True)

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

    def sampling_model(self) -> Gan:
        """The trained generator as inference holds it, sharing this module's net."""
        hparams = self.hparams
        return Gan(self.generator, hparams.context_steps, hparams.snippet_steps, hparams.sampler)

    def infill(
        self, pitches: Tensor, mask: Tensor, settings: GanSettings, generator: torch.Generator | None
    ) -> Tensor:
        return self.sampling_model().infill(pitches, mask, settings, generator)

    def generate_examples(
        self, batch: dict[str, Tensor], count: int, generator: torch.Generator
    ) -> list[np.ndarray]:
        return self.sampling_model().generate_examples(batch, count, generator)
