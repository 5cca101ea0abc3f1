"""compose's stage settings come from its config, typed, with the stages' switches honoured."""

from hydra import compose, initialize_config_module

import deepchorale.resolvers  # noqa: F401
from deepchorale.compose.embellish import EmbellishSettings
from deepchorale.compose.ornaments import OrnamentSettings
from deepchorale.compose.pipeline import HarmonySettings
from deepchorale.compose.settings import stage_settings
from deepchorale.sampling.voice_leading import VoiceLeadingPrior


def settings(*overrides):
    with initialize_config_module("deepchorale.conf", version_base="1.3"):
        return stage_settings(compose("compose", overrides=list(overrides)))


def test_every_stage_gets_its_typed_settings_from_the_config():
    built = settings("harmonize.temperature=0.7", "harmonize.voice_leading.parallels=3")
    harmony, embellishment, ornaments = built["harmony"], built["embellishment"], built["ornaments"]
    assert isinstance(harmony, HarmonySettings) and harmony.temperature == 0.7
    assert isinstance(harmony.voice_leading, VoiceLeadingPrior) and harmony.voice_leading.parallels == 3
    assert isinstance(embellishment, EmbellishSettings) and isinstance(ornaments, OrnamentSettings)
    assert embellishment.guard == harmony.voice_leading  # the embellishment keeps the harmony's rules
    assert ornaments.guard.non_chord == 0  # an ornament is a non-chord tone by design


def test_a_disabled_stage_has_no_settings_and_the_prior_can_be_turned_off():
    built = settings("embellish.enabled=false", "ornaments.enabled=false", "harmonize.voice_leading=null")
    assert built["embellishment"] is None and built["ornaments"] is None
    assert built["harmony"].voice_leading is None
