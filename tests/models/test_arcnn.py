import functools

import numpy as np
import pytest
import torch
from lightning.pytorch import Trainer
from torch import nn

from deepchorale.data.chorale import REST
from deepchorale.data.datamodule import ChoraleDataModule, window_tensors
from deepchorale.models.arcnn import ArcnnNet, ByteDropout, PatchConv3x3, Up
from deepchorale.training.arcnn import ArcnnModule
from tests.conftest import CACHE_DIR


def tiny_module(**kwargs) -> ArcnnModule:
    torch.manual_seed(0)
    net = ArcnnNet(depth=kwargs.pop("depth", 3), base_filters=8, dropout=kwargs.pop("dropout", 0.5))
    return ArcnnModule(net, functools.partial(torch.optim.Adam, lr=1e-3), **kwargs)


def real_batch(corpus, count: int, steps: int, valid_steps: int | None = None) -> dict[str, torch.Tensor]:
    """`count` real windows; the last `steps - valid_steps` steps are padding (rests)."""
    valid_steps = valid_steps or steps
    items = []
    for chorale in corpus.chorales[:count]:
        window = chorale.crop(8, valid_steps).crop(0, steps)
        items.append(window_tensors(window, valid_steps, ("pitches", "pianoroll")))
    return {key: torch.stack([item[key] for item in items]) for key in items[0]}


def test_reference_size_matches_deepcomposer():
    # Keras reports 31.46 M including the batch norms' moving statistics (the buffers here).
    assert sum(p.numel() for p in ArcnnNet().parameters()) == 31_448_833


@pytest.mark.parametrize("steps", [40, 128, 7])
def test_net_takes_any_length(steps):
    net = ArcnnNet(depth=3, base_filters=4)
    logits = net(torch.rand(2, 1, steps, 128).round())
    assert logits.shape == (2, 1, steps, 128) and torch.isfinite(logits).all()


def test_channels_last_changes_layout_not_logits(corpus):
    batch = real_batch(corpus, 2, 40)
    plain, fast = tiny_module(channels_last=False).eval(), tiny_module(channels_last=True).eval()
    torch.testing.assert_close(fast(batch["pianoroll"]), plain(batch["pianoroll"]), atol=1e-4, rtol=1e-4)


def test_decoder_equals_the_reference_concatenation():
    torch.manual_seed(0)
    up = Up(6, 3, dropout=0.0, batch_norm=True)
    for norm in (up.norm_up, up.norm_skip):
        nn.init.uniform_(norm.weight)
        nn.init.uniform_(norm.bias)
    x, skip = torch.randn(4, 6, 5, 7), torch.randn(4, 3, 10, 14)
    # The reference: batch norm over [upsampled x, skip], then one conv over the 9 channels.
    norm = nn.BatchNorm2d(9)
    norm.weight.data = torch.cat([up.norm_up.weight, up.norm_skip.weight]).detach()
    norm.bias.data = torch.cat([up.norm_up.bias, up.norm_skip.bias]).detach()
    conv = nn.Conv2d(9, 3, 3, padding=1)
    conv.weight.data = torch.cat([up.conv_up.weight, up.conv_skip.weight], 1).detach()
    conv.bias.data = up.conv_skip.bias.detach()
    joint = torch.cat([nn.functional.interpolate(x, scale_factor=2.0), skip], 1)
    reference = torch.relu(up.conv(torch.relu(conv(norm(joint)))))
    torch.testing.assert_close(up(x, skip), reference, atol=1e-5, rtol=1e-5)


def test_patch_conv_is_a_conv():
    torch.manual_seed(0)
    patch = PatchConv3x3(5, 7)
    conv = nn.Conv2d(5, 7, 3, padding=1)
    conv.load_state_dict(patch.state_dict())
    for x in (torch.randn(3, 5, 2, 6), torch.randn(3, 5, 8, 8)):  # as a matmul, then by oneDNN
        torch.testing.assert_close(patch(x), conv(x), atol=1e-5, rtol=1e-5)
        channels_last = x.contiguous(memory_format=torch.channels_last)
        torch.testing.assert_close(patch(channels_last), conv(x), atol=1e-5, rtol=1e-5)


def test_byte_dropout_keeps_half_unbiased_and_masks_the_gradient():
    torch.manual_seed(0)
    dropout = ByteDropout(0.5)
    x = torch.ones(8, 16, 32, 32).contiguous(memory_format=torch.channels_last).requires_grad_()
    y = dropout(x)
    assert y.is_contiguous(memory_format=torch.channels_last)
    assert set(y.unique().tolist()) == {0.0, 2.0}
    assert abs(float((y > 0).float().mean()) - 0.5) < 0.01
    y.sum().backward()
    assert torch.equal(x.grad, y.detach())
    assert ByteDropout(0.3).threshold == 179 and torch.equal(dropout.eval()(x), x)
    with pytest.raises(ValueError):
        ByteDropout(1.0)


def test_overfits_one_real_window(corpus):
    batch = real_batch(corpus, 1, 32)
    module = tiny_module(dropout=0.0, depth=2)
    optimizer = torch.optim.Adam(module.parameters(), lr=3e-3)
    losses = []
    for _ in range(45):
        # The same corruption every step: the net must learn exactly which pixels are wrong.
        loss = module.loss(batch, torch.Generator().manual_seed(0))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert min(losses[-10:]) < losses[0] / 10  # Adam's occasional spike aside


def test_fit_and_test_on_the_real_datamodule(tmp_path):
    data = ChoraleDataModule(
        cache_dir=str(CACHE_DIR), views=["pitches", "pianoroll"], crop_length=32, batch_size=4
    )
    module = tiny_module(eval_iterations=4)
    trainer = Trainer(
        fast_dev_run=2, accelerator="cpu", logger=False, enable_checkpointing=False, default_root_dir=tmp_path
    )
    trainer.fit(module, datamodule=data)
    assert {"train/loss", "val/loss", "val/f1", "val/precision", "val/recall"} <= set(
        trainer.callback_metrics
    )
    trainer.test(module, datamodule=data)
    metrics = trainer.callback_metrics
    assert {"test/loss", "test/f1", "test/f1_corrupted"} <= set(metrics)
    assert all(torch.isfinite(metrics[key]) for key in metrics)
    assert 0 <= float(metrics["test/f1"]) <= 1


def test_generate_examples_are_four_voice_pitch_arrays(corpus):
    batch = real_batch(corpus, 3, 32, valid_steps=24)
    module = tiny_module(sample_iterations=6)
    examples = module.generate_examples(batch, 2, torch.Generator().manual_seed(0))
    assert len(examples) == 2
    for pitches in examples:
        assert pitches.dtype == np.int16 and pitches.shape == (4, 24)
        assert ((pitches == REST) | ((pitches >= 0) & (pitches <= 127))).all()
    again = module.generate_examples(batch, 2, torch.Generator().manual_seed(0))
    assert all(np.array_equal(a, b) for a, b in zip(examples, again))


def test_state_dict_loads_with_weights_only(tmp_path, corpus):
    module = tiny_module().eval()
    path = tmp_path / "arcnn.pt"
    torch.save(module.state_dict(), path)
    restored = tiny_module().eval()
    restored.load_state_dict(torch.load(path, weights_only=True))
    roll = real_batch(corpus, 2, 32)["pianoroll"]
    assert torch.equal(module(roll), restored(roll))
