import functools
import math

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_module
from hydra.utils import instantiate
from lightning.pytorch import Trainer
from torch.utils.data import DataLoader

from deepchorale.data.chorale import REST
from deepchorale.data.convert import ONEHOT_HIGH, ONEHOT_LOW, ONEHOT_PITCHES
from deepchorale.data.datamodule import ChoraleDataModule, window_tensors
from deepchorale.models.coconet import CoconetNet, sampling_net
from deepchorale.models.protocol import packaged_sampler
from deepchorale.sampling.gibbs import gibbs_settings, pitch_onehot
from deepchorale.training.coconet import CoconetModule, nade_mask, ordering_nll, rescaled_nll, scored_cells
from tests.conftest import CACHE_DIR


def tiny_module(**kwargs) -> CoconetModule:
    torch.manual_seed(0)
    net = CoconetNet(num_layers=4, num_filters=16)
    return CoconetModule(net, functools.partial(torch.optim.Adam, lr=1e-3), **kwargs)


def full_window(corpus, length: int):
    """A real window in which all four voices sing throughout (no rests)."""
    for chorale in corpus.chorales:
        sounding = (chorale.pitches != REST).all(0)
        for start in range(0, chorale.num_steps - length, 4):
            if sounding[start : start + length].all():
                return window_tensors(chorale.crop(start, length), length, ("pitches",))
    raise AssertionError("no rest-free window in the corpus")


@pytest.mark.parametrize(("steps", "channels_last"), [(1, False), (7, False), (33, True)])
def test_net_keeps_any_length(steps, channels_last):
    net = CoconetNet(num_layers=6, num_filters=8, channels_last=channels_last)
    onehot = pitch_onehot(torch.randint(ONEHOT_LOW, ONEHOT_HIGH + 1, (2, 4, steps)))
    logits = net(onehot, torch.rand(2, 4, steps) < 0.5)
    assert logits.shape == (2, 4, steps, ONEHOT_PITCHES) and torch.isfinite(logits).all()


@pytest.mark.parametrize("batch_norm", [True, False])
def test_the_sampling_net_computes_what_the_eval_net_does(batch_norm):
    torch.manual_seed(0)
    net = CoconetNet(num_layers=6, num_filters=8, batch_norm=batch_norm)
    for module in net.modules():  # running statistics far from the identity, as after training
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-1, 1), module.running_var.uniform_(0.5, 2)
            module.weight.data.uniform_(0.5, 2), module.bias.data.uniform_(-1, 1)
    keys = list(net.state_dict())
    onehot = pitch_onehot(torch.randint(ONEHOT_LOW, ONEHOT_HIGH + 1, (2, 4, 21)))
    mask = torch.rand(2, 4, 21) < 0.5
    with torch.no_grad():
        expected = net.eval()(onehot, mask)
        folded = sampling_net(net.train())
        assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
        assert torch.allclose(folded(onehot, mask), expected, atol=1e-4)
    assert net.training and list(net.state_dict()) == keys  # the module's own net is untouched


def test_hidden_cells_are_invisible_to_the_net():
    net = CoconetNet(num_layers=4, num_filters=8).eval()
    pitches = torch.randint(ONEHOT_LOW, ONEHOT_HIGH + 1, (1, 4, 9))
    mask = torch.zeros(1, 4, 9, dtype=torch.bool)
    mask[0, 2, 4] = True
    changed = pitches.clone()
    changed[0, 2, 4] = ONEHOT_LOW + (pitches[0, 2, 4] - ONEHOT_LOW + 1) % ONEHOT_PITCHES
    assert torch.equal(net(pitch_onehot(pitches), mask), net(pitch_onehot(changed), mask))


def test_masks_hide_between_one_and_all_notes_and_never_rests():
    pitches = torch.tensor([[[60, 60, REST, 62], [55, REST, 57, 57], [48, 48, 50, 50], [40, 41, 43, REST]]])
    valid = torch.tensor([[True, True, True, False]])  # the last step is padding
    cells = scored_cells(pitches, valid)
    assert int(cells.sum()) == 10
    generator = torch.Generator().manual_seed(0)
    sizes = set()
    for _ in range(200):
        mask = nade_mask(cells, torch.rand(1, generator=generator), generator)
        assert not (mask & ~cells).any()
        sizes.add(int(mask.sum()))
    assert sizes == set(range(1, 11))


def test_loss_rescaling_by_hand():
    # One window of 2 steps; voice 3 rests at step 1, so D = 7 scored cells. Hide 2 of them.
    pitches = torch.tensor([[[72, 74], [67, 65], [60, 62], [48, REST]]])
    cells = scored_cells(pitches, torch.ones(1, 2, dtype=torch.bool))
    mask = torch.zeros_like(cells)
    mask[0, 0, 1] = mask[0, 3, 0] = True
    logits = torch.zeros(1, 4, 2, ONEHOT_PITCHES)
    logits[0, 0, 1, 74 - ONEHOT_LOW] = 2.0  # soprano, step 1: the right pitch is favoured
    logits[0, 3, 0, 50 - ONEHOT_LOW] = 1.0  # bass, step 0: a wrong pitch is favoured
    favoured = -math.log(math.exp(2) / (math.exp(2) + 45))
    unfavoured = -math.log(1 / (math.e + 45))
    nats, counts = rescaled_nll(logits, pitches, cells, mask)
    assert counts.tolist() == [7]
    assert nats.item() == pytest.approx(7 / 2 * (favoured + unfavoured), rel=1e-5)


def test_chain_rule_scores_every_note_exactly_once(corpus):
    net = CoconetNet(num_layers=4, num_filters=8)
    torch.nn.init.zeros_(net.output_conv.weight)  # constant logits: uniform over the 46 pitches
    window = window_tensors(corpus.chorales[3].crop(0, 12), 10, ("pitches",))
    pitches, valid = window["pitches"][None], window["valid"][None]
    cells = scored_cells(pitches, valid)
    for cells_per_forward in (1, 5):
        nll = ordering_nll(net, pitches, cells, torch.Generator().manual_seed(0), cells_per_forward)
        assert nll.item() == pytest.approx(int(cells.sum()) * math.log(ONEHOT_PITCHES), rel=1e-5)


def test_nll_per_frame_is_four_notes_without_rests(corpus):
    window = full_window(corpus, 16)
    loader = DataLoader([window, window], batch_size=2)
    trainer = Trainer(accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False)
    metrics = trainer.test(tiny_module(), dataloaders=loader, verbose=False)[0]
    assert all(math.isfinite(value) for value in metrics.values())
    assert metrics["test/nll_frame"] == pytest.approx(4 * metrics["test/nll_note"], rel=1e-5)
    # An untrained net is near uniform: roughly log 46 = 3.8 nats per note.
    assert 2.0 < metrics["test/nll_note"] < 6.0


def test_overfits_one_real_window(corpus):
    window = window_tensors(corpus.chorales[0].crop(0, 16), 16, ("pitches",))
    batch = {key: value.expand(8, *value.shape) for key, value in window.items()}
    pitches = batch["pitches"]
    cells = scored_cells(pitches, batch["valid"])
    torch.manual_seed(0)
    module = CoconetModule(CoconetNet(num_layers=6, num_filters=32), functools.partial(torch.optim.Adam))
    module.log = lambda *args, **kwargs: None  # no Trainer here to log to
    quarter_hidden = nade_mask(cells, torch.full((8,), 0.25), torch.Generator().manual_seed(1))

    def held_out_loss() -> float:
        module.eval()
        with torch.no_grad():
            logits = module(pitch_onehot(pitches), quarter_hidden)
        nats, counts = rescaled_nll(logits, pitches, cells, quarter_hidden)
        module.train()
        return (nats.sum() / counts.sum()).item()

    before = held_out_loss()
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-2)
    losses = []
    for step in range(100):
        loss = module.training_step(batch, step)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    # Hiding everything leaves a small net nothing to go on, so the orderless loss plateaus near
    # 1 nat; with three quarters of the window as context it should all but recite the window.
    assert np.mean(losses[-10:]) < np.mean(losses[:10]) / 3
    assert before > 3.0 and held_out_loss() < before / 10


def test_trainer_fits_and_tests_on_the_chorales():
    datamodule = ChoraleDataModule(cache_dir=str(CACHE_DIR), batch_size=4, crop_length=32)
    scheduler = functools.partial(torch.optim.lr_scheduler.ReduceLROnPlateau, factor=0.5, patience=5)
    module = tiny_module(scheduler=scheduler)
    trainer = Trainer(fast_dev_run=2, accelerator="cpu", logger=False, enable_checkpointing=False)
    trainer.fit(module, datamodule=datamodule)
    assert math.isfinite(trainer.callback_metrics["train/loss"])
    assert math.isfinite(trainer.callback_metrics["val/nll_frame"])
    metrics = trainer.test(module, datamodule=datamodule, verbose=False)[0]
    assert {"test/loss", "test/nll_frame", "test/nll_note"} <= metrics.keys()
    assert all(math.isfinite(value) for value in metrics.values())


def test_state_dict_loads_with_weights_only(tmp_path):
    module = tiny_module()
    path = tmp_path / "coconet.pt"
    torch.save(module.state_dict(), path)
    restored = tiny_module()
    restored.load_state_dict(torch.load(path, weights_only=True))
    for name, tensor in module.state_dict().items():
        assert torch.equal(tensor, restored.state_dict()[name])


def test_generate_examples_keeps_the_soprano(corpus):
    windows = [window_tensors(c.crop(0, 16), 16, ("pitches",)) for c in corpus.chorales[:3]]
    batch = {key: torch.stack([w[key] for w in windows]) for key in windows[0]}
    module = tiny_module()
    examples = module.generate_examples(batch, 2, torch.Generator().manual_seed(0))
    again = module.generate_examples(batch, 2, torch.Generator().manual_seed(0))
    assert len(examples) == 2 and module.training
    for example, repeat, original in zip(examples, again, batch["pitches"]):
        assert example.dtype == np.int16 and example.shape == (4, 16)
        assert np.array_equal(example, repeat)
        assert np.array_equal(example[0], original[0].numpy())
        assert example[1:].min() >= ONEHOT_LOW and example[1:].max() <= ONEHOT_HIGH


def test_config_builds_the_module_and_its_optimiser():
    with initialize_config_module("deepchorale.conf", version_base="1.3"):
        config = compose("train", overrides=["model=coconet"]).model
    module = instantiate(config)
    assert isinstance(module, CoconetModule) and isinstance(module.net, CoconetNet)
    assert module.sampling_model().sampler == gibbs_settings(
        packaged_sampler("coconet")
    )  # the users' sampler
    optimisation = module.configure_optimizers()
    assert isinstance(optimisation["optimizer"], torch.optim.Adam)
    assert optimisation["lr_scheduler"]["monitor"] == "val/loss"
