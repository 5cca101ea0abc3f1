"""The melody-conditioned WGAN-GP: training steps and their count, the penalty, seeded accompaniment
of any length, and weights through the allow-list."""

import functools

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_module
from hydra.utils import instantiate
from lightning.pytorch import Trainer
from omegaconf import OmegaConf
from torch import nn
from torch.utils.data import DataLoader

import deepchorale.resolvers  # noqa: F401  (the train config uses ${best_precision:})
from deepchorale.data.chorale import REST
from deepchorale.data.datamodule import window_tensors
from deepchorale.models.gan import Gan, GanSettings, pitches_from_rolls, voice_rolls
from deepchorale.models.gan_nets import Critic, MuseganGenerator, UnetGenerator
from deepchorale.models.protocol import ExampleWriter
from deepchorale.models.weights import load_model, save_weights
from deepchorale.training.gan import GanModule, gradient_penalty, reconstruction_loss
from deepchorale.training.samples import GeneratedSamples

TINY = {"depth": 2, "base_filters": 4, "latent_dim": 4}


def tiny_module(generator_class=MuseganGenerator, **kwargs) -> GanModule:
    torch.manual_seed(0)
    adam = functools.partial(torch.optim.Adam, lr=1e-3, betas=(0.5, 0.9))
    return GanModule(generator_class(**TINY), Critic(base_filters=4), adam, **kwargs)


def real_windows(corpus, count: int, length: int = 48) -> list[dict]:
    return [
        window_tensors(chorale.crop(0, length), length, ("pitches",)) for chorale in corpus.chorales[:count]
    ]


def quiet_trainer(max_steps: int) -> Trainer:
    quiet = {"logger": False, "enable_checkpointing": False, "enable_progress_bar": False}
    return Trainer(accelerator="cpu", max_steps=max_steps, max_epochs=-1, limit_val_batches=0,
                   enable_model_summary=False, **quiet)  # fmt: skip


def adam_steps(optimizer) -> int:
    return int(next(iter(optimizer.state.values()))["step"])


def test_rolls_round_trip_real_pitches(corpus):
    pitches = torch.from_numpy(corpus.chorales[0].pitches[:, :64].astype(np.int64))[None]
    rolls = voice_rolls(pitches)
    assert rolls.shape == (1, 4, 64, 48) and set(rolls.unique().tolist()) == {-1.0, 1.0}
    assert torch.equal(pitches_from_rolls(rolls), pitches)
    with pytest.raises(ValueError, match="pitch 30 is outside the GAN's range 36-83"):
        voice_rolls(torch.tensor([[[30, REST]]]))


@pytest.mark.parametrize("generator_class", [MuseganGenerator, UnetGenerator])
def test_max_steps_counts_generator_steps_with_five_critic_steps_each(corpus, generator_class):
    module = tiny_module(generator_class)
    loader = DataLoader(real_windows(corpus, 8), batch_size=2)  # 4 batches an epoch: steps cross epochs
    trainer = quiet_trainer(max_steps=3)
    trainer.fit(module, train_dataloaders=loader)
    generator_optimizer, critic_optimizer = (optimizer.optimizer for optimizer in module.optimizers())
    assert trainer.global_step == 3 and adam_steps(generator_optimizer) == 3
    assert module.critic_updates == 15 and adam_steps(critic_optimizer) == 15
    metrics = trainer.callback_metrics
    assert metrics["train/generator_step"] == 3
    assert all(torch.isfinite(metrics[f"train/{name}"]) for name in ("loss", "critic_loss", "wasserstein"))


def test_a_resumed_run_keeps_counting_critic_steps(corpus, tmp_path):
    loader = DataLoader(real_windows(corpus, 8), batch_size=2)
    first = quiet_trainer(max_steps=1)
    first.fit(tiny_module(), train_dataloaders=loader)
    first.save_checkpoint(tmp_path / "one.ckpt")
    resumed = tiny_module()
    quiet_trainer(max_steps=2).fit(resumed, train_dataloaders=loader, ckpt_path=tmp_path / "one.ckpt")
    assert resumed.critic_updates == 10 and adam_steps(resumed.optimizers()[1].optimizer) == 10


def test_schedulers_step_once_per_generator_step(corpus):
    linear = functools.partial(
        torch.optim.lr_scheduler.LinearLR, start_factor=1.0, end_factor=0.5, total_iters=4
    )
    module = tiny_module(scheduler=linear, critic_steps=2)
    loader = DataLoader(real_windows(corpus, 8), batch_size=1)
    trainer = quiet_trainer(max_steps=2)
    trainer.fit(module, train_dataloaders=loader)
    assert [scheduler.last_epoch for scheduler in module.hand_stepped_schedulers()] == [2, 2]
    assert module.optimizers()[1].param_groups[0]["lr"] == pytest.approx(1e-3 * 0.75)


def test_reconstruction_loss_reads_rolls_as_the_gan_decodes_them():
    pitches = torch.tensor([[[60, 60, REST, 62]] * 3])  # (1, 3 lower voices, 4 steps)
    real = voice_rolls(pitches)
    cells = torch.ones(1, 3, 4, dtype=torch.bool)
    assert reconstruction_loss(real, real, cells) < 0.02  # the real rolls, rest included
    other = voice_rolls(torch.tensor([[[64, 60, 60, 62]] * 3]))
    cells[..., 0] = False  # only the cells written count: step 0's wrong pitch is not charged
    assert reconstruction_loss(other, real, cells) > 2  # step 2: a pitch where Bach rests
    cells[..., 2] = False
    assert reconstruction_loss(other, real, cells) < 0.02
    # Lower rolls are likelier where they decode to the real pitch than where they do not.
    quieter = real * 0.5
    assert reconstruction_loss(quieter, real, torch.ones_like(cells)) < reconstruction_loss(
        -quieter, real, torch.ones_like(cells)
    )


def test_the_supervised_term_teaches_the_generator_bachs_voices(corpus):
    loader = DataLoader(real_windows(corpus, 4), batch_size=4)
    batch = next(iter(loader))
    real, valid = voice_rolls(batch["pitches"]), batch["valid"]
    given = torch.zeros_like(valid)

    def reconstruction(module: GanModule) -> float:
        with torch.no_grad():
            written = module.written(real, given, module.noise(len(real), torch.Generator().manual_seed(0)))
            return float(reconstruction_loss(written, real[:, 1:], module.written_cells(valid, given)))

    before = reconstruction(tiny_module())
    trained = {}
    for weight in (0.0, 10.0):
        module = tiny_module(reconstruction_weight=weight, context_dropout=1.0, critic_steps=1)
        quiet_trainer(max_steps=30).fit(module, train_dataloaders=loader)
        trained[weight] = reconstruction(module)
    assert trained[10.0] < before - 0.2 and trained[10.0] < trained[0.0] - 0.2


def test_gradient_penalty_equals_direct_autograd_on_a_toy_critic():
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Flatten(), nn.Linear(12, 5), nn.Tanh(), nn.Linear(5, 1))
    real, fake = torch.randn(3, 2, 2, 3), torch.randn(3, 2, 2, 3)
    penalty = gradient_penalty(critic, real, fake, torch.Generator().manual_seed(7))

    share = torch.rand(3, 1, 1, 1, generator=torch.Generator().manual_seed(7))
    expected = 0.0
    for x in share * real + (1 - share) * fake:
        x = x[None].clone().requires_grad_(True)
        (gradient,) = torch.autograd.grad(critic(x).squeeze(), x)
        expected += (gradient.norm() - 1) ** 2 / 3
    assert penalty.item() == pytest.approx(expected.item(), rel=1e-6)

    linear = nn.Sequential(nn.Flatten(), nn.Linear(12, 1))  # gradient = the weights, everywhere
    assert gradient_penalty(linear, real, fake).item() == pytest.approx(
        ((linear[1].weight.norm() - 1) ** 2).item()
    )


def test_gradient_penalty_stays_fp32_under_bf16_autocast():
    torch.manual_seed(0)
    critic = Critic(base_filters=4)
    real, fake = torch.randn(2, 5, 16, 16), torch.randn(2, 5, 16, 16)
    exact = gradient_penalty(critic, real, fake, torch.Generator().manual_seed(1))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        autocast = gradient_penalty(
            critic, real.bfloat16(), fake.bfloat16(), torch.Generator().manual_seed(1)
        )
    assert autocast.dtype == torch.float32
    # Only the inputs' bf16 rounding differs, not the arithmetic.
    rounded = gradient_penalty(
        critic, real.bfloat16().float(), fake.bfloat16().float(), torch.Generator().manual_seed(1)
    )
    assert autocast.item() == pytest.approx(rounded.item(), rel=1e-6)
    assert autocast.item() == pytest.approx(exact.item(), rel=0.05)


def melody_batch(corpus, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    pitches = torch.from_numpy(
        np.stack([c.pitches[:, :length] for c in corpus.chorales[:2]]).astype(np.int64)
    )
    mask = torch.zeros_like(pitches, dtype=torch.bool)
    mask[:, 1:] = True
    return pitches, mask


def test_accompanies_any_length_with_the_soprano_clamped_and_seed_decides(corpus):
    module = tiny_module(UnetGenerator)
    assert isinstance(module, ExampleWriter)
    settings = GanSettings(noise_scale=1.0)
    pitches, mask = melody_batch(corpus, 75)  # two full chunks and a short one

    def accompany(seed: int, length: int = 75) -> torch.Tensor:
        return module.infill(
            pitches[..., :length], mask[..., :length], settings, torch.Generator().manual_seed(seed)
        )

    accompanied = accompany(0)
    assert accompanied.shape == pitches.shape and torch.equal(accompanied[:, 0], pitches[:, 0])
    assert ((accompanied == REST) | ((accompanied >= 36) & (accompanied <= 83))).all()
    assert torch.equal(accompanied, accompany(0))
    # A chunk reads its own melody and the bar before, never later ones: what follows the first
    # chunk leaves it as it is.
    assert torch.equal(accompany(0, 40)[..., :32], accompanied[..., :32])
    condition = torch.zeros(1, 5, 48, 48)
    outputs = [
        module.generator.eval()(condition, module.noise(1, torch.Generator().manual_seed(s))) for s in (0, 1)
    ]
    assert not torch.equal(*outputs)


def test_given_lower_cells_are_kept_and_a_hidden_soprano_is_refused(corpus):
    module = tiny_module()
    pitches, mask = melody_batch(corpus, 40)
    mask[:, 1:, :20] = False  # the first 20 steps' lower voices are given
    accompanied = module.infill(pitches, mask, GanSettings(0.5), torch.Generator().manual_seed(0))
    assert torch.equal(accompanied[~mask], pitches[~mask])
    mask[0, 0, 3] = True
    with pytest.raises(ValueError, match="must not hide soprano cells"):
        module.infill(pitches, mask, GanSettings(1.0), None)


def test_generate_examples_accompanies_validation_windows(corpus):
    module = tiny_module()
    batch = {key: torch.stack([w[key] for w in real_windows(corpus, 3)]) for key in ("pitches", "valid")}
    examples = module.generate_examples(batch, 2, torch.Generator().manual_seed(0))
    assert len(examples) == 2 and all(e.dtype == np.int16 and e.shape == (4, 48) for e in examples)
    assert np.array_equal(examples[0][0], batch["pitches"][0, 0].numpy())


def test_an_unknown_sample_metric_is_named(corpus, tmp_path):
    samples = GeneratedSamples(str(tmp_path), extra_metrics=["qualified_note_rate/all", "empty_bar"])
    with pytest.raises(ValueError, match="unknown sample metric 'empty_bar'"):
        samples.log_scores(tiny_module(), [corpus.chorales[0]])


@pytest.mark.parametrize("model", ["musegan", "unet_gan"])
def test_weights_load_through_the_allow_list(corpus, tmp_path, model):
    overrides = [f"model={model}", "model.generator.base_filters=4", "model.critic.base_filters=4"]
    with initialize_config_module("deepchorale.conf", version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    config = OmegaConf.to_container(cfg.model, resolve=True)
    trained = instantiate(config, _convert_="all")
    path = save_weights(trained.state_dict(), config, tmp_path / "weights.pt")
    loaded = load_model(path)
    assert type(loaded) is Gan and type(loaded.generator) is type(trained.generator)  # no critic: inference
    assert (
        loaded.generator.__class__.__name__
        == {"musegan": "MuseganGenerator", "unet_gan": "UnetGenerator"}[model]
    )
    pitches, mask = melody_batch(corpus, 48)
    draw = [
        m.infill(pitches, mask, loaded.sampler, torch.Generator().manual_seed(3)) for m in (trained, loaded)
    ]
    assert torch.equal(*draw)
