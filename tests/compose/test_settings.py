"""compose's stage settings come from its config, typed, with the stages' switches honoured."""

import json
from dataclasses import MISSING, fields

import pytest
from hydra import compose, initialize_config_module
from omegaconf import OmegaConf

import deepchorale.resolvers  # noqa: F401
from deepchorale.compose.embellish import EmbellishSettings
from deepchorale.compose.harmonize import HarmonySettings
from deepchorale.compose.ornaments import OrnamentSettings
from deepchorale.compose.refine import RefineSettings
from deepchorale.compose.revise import RevisionSettings
from deepchorale.compose.settings import (
    SettingsError,
    compose_config,
    compose_registers,
    default_stage_settings,
    stage_settings,
)
from deepchorale.data.registers import Registers, bach_registers
from deepchorale.models.protocol import packaged_sampler
from deepchorale.models.weights import read_weights, save_weights
from deepchorale.sampling.arcnn_resample import ResampleSettings
from deepchorale.sampling.gibbs import GibbsSettings, gibbs_settings
from deepchorale.sampling.voice_leading import VoiceLeadingPrior


def settings(*overrides):
    with initialize_config_module("deepchorale.conf", version_base="1.3"):
        return stage_settings(compose("compose", overrides=list(overrides)))


def test_every_stage_gets_its_typed_settings_from_the_config():
    built = settings(
        "harmonize.temperature=0.7", "harmonize.voice_leading.parallels=3", "embellish.enabled=true"
    )
    harmony, embellishment, ornaments = built["harmony"], built["embellishment"], built["ornaments"]
    assert isinstance(harmony, HarmonySettings) and harmony.temperature == 0.7
    assert isinstance(harmony.voice_leading, VoiceLeadingPrior) and harmony.voice_leading.parallels == 3
    assert isinstance(embellishment, EmbellishSettings) and isinstance(ornaments, OrnamentSettings)
    assert embellishment.guard == harmony.voice_leading  # the embellishment keeps the harmony's rules
    assert ornaments.guard.non_chord == 0  # an ornament is a non-chord tone by design


def test_a_disabled_stage_has_no_settings_and_the_prior_can_be_turned_off():
    built = settings("ornaments.enabled=false", "harmonize.voice_leading=null")
    assert built["embellishment"] is None and built["ornaments"] is None
    assert built["harmony"].voice_leading is None
    assert isinstance(settings()["revision"], RevisionSettings)
    assert settings("revise.enabled=false")["revision"] is None
    assert settings("critic=null")["revision"] is None  # the critic finds the windows to revise


def test_the_python_api_defaults_are_the_clis():
    """What `deepchorale compose` composes from its config is what Python callers get by default."""
    with initialize_config_module("deepchorale.conf", version_base="1.3"):
        cli = stage_settings(compose("compose"))
    api = default_stage_settings()
    assert api == cli
    assert api["harmony"].temperature == 0.5 and api["harmony"].voice_leading.fifthless_chords
    assert api["embellishment"] is None  # the AR-CNN step is off by default (conf/compose.yaml)
    assert default_stage_settings(["harmonize.steps=7"])["harmony"].steps == 7


def test_each_generator_gets_its_own_sampler_and_refining_shares_coconets_file():
    assert settings()["sampler"] is None  # Coconet draws with `harmony`
    assert settings("harmoniser=gan")["sampler"].noise_scale == 1.0
    refine = settings("harmoniser=gan+coconet", "refine.pmax=0.3")["sampler"]
    harmony = settings()["harmony"]
    assert isinstance(refine, RefineSettings) and refine.pmax == 0.3 and refine.steps == 48
    assert (refine.temperature, refine.schedule, refine.voice_leading) == (
        harmony.temperature, harmony.schedule, harmony.voice_leading)  # fmt: skip
    with pytest.raises(SettingsError, match=r"refine.pmax 0.05 must be in \[0.1, 1\]"):
        settings("harmoniser=gan+coconet", "refine.pmax=0.05")


def test_the_settings_classes_have_no_defaults_of_their_own():
    """Defaults live in the YAML only, so no caller can sample at values users never get."""
    for settings in (HarmonySettings, GibbsSettings, RefineSettings, RevisionSettings, EmbellishSettings,
                     ResampleSettings, OrnamentSettings):  # fmt: skip
        for field in fields(settings):
            assert field.default is MISSING and field.default_factory is MISSING, (settings, field.name)


def test_training_samples_use_the_sampler_compose_uses():
    """Coconet's model config takes its sampler from the same file as compose's harmonize stage."""
    with initialize_config_module("deepchorale.conf", version_base="1.3"):
        model = compose("train", overrides=["model=coconet"]).model
        harmony = compose("compose").harmonize
    sampler = gibbs_settings(OmegaConf.to_container(model.sampler))
    shipped = default_stage_settings()["harmony"]
    assert sampler == GibbsSettings(
        shipped.steps, shipped.temperature, shipped.schedule, shipped.voice_leading
    )
    assert gibbs_settings(packaged_sampler("coconet")) == sampler  # an old weights file's fallback
    assert harmony.temperature == model.sampler.temperature


@pytest.mark.parametrize("space", ["compose", "compose_pareto", "submission"])
def test_the_compose_searches_start_from_the_shipped_settings(space):
    """A compose search's trial 0 must be what users get, or the search compares to the wrong bar."""
    with initialize_config_module("deepchorale.conf", version_base="1.3"):
        search = compose("search", overrides=[f"hparams_search={space}"]).search
    first = search.enqueue[0]
    assert set(first) == set(search.params)
    trial_zero = compose_config([f"{key}={value}" for key, value in first.items()])
    assert OmegaConf.to_container(trial_zero) == OmegaConf.to_container(compose_config())


def test_registers_are_the_harmonisers_corpus_as_its_weights_record_it_else_bach_or_a_file(tmp_path):
    shipped = compose_config()  # its weights were trained on Bach before weights recorded registers
    assert (
        compose_registers(shipped)
        == compose_registers(compose_config(["registers=bach"]))
        == bach_registers()
    )
    own = Registers(((55, 74), (50, 67), (45, 62), (36, 55)), (65, 58, 53, 45), "own")
    blob = read_weights(shipped.models.coconet)
    weights = save_weights(blob["state_dict"], blob["model"], tmp_path / "own.pt",
                           {**blob["metadata"], "registers": own.as_json("own music", (2, 98))})  # fmt: skip
    found = compose_registers(compose_config([f"models.coconet={weights}"]))
    assert (found.bands, found.medians, found.source) == (
        own.bands,
        own.medians,
        f"{weights}'s training data",
    )
    # With the GAN alone, the GAN's file speaks (it records the Bach train split's registers);
    # a file named outright is read as it is.
    gan = compose_config([f"models.coconet={weights}", "harmoniser=gan"])
    found = compose_registers(gan)
    assert (found.bands, found.medians) == (bach_registers().bands, bach_registers().medians)
    assert found.source == f"{gan.models.gan}'s training data"
    (tmp_path / "registers.json").write_text(json.dumps(own.as_json("own music", (2, 98))))
    assert compose_registers(compose_config([f"registers={tmp_path / 'registers.json'}"])).bands == own.bands
    with pytest.raises(SettingsError, match=r"registers file .*none\.json not found"):
        compose_registers(compose_config([f"registers={tmp_path / 'none.json'}"]))
