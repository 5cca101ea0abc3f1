import pytest

from deepchorale.compose.form import plan_form, vary
from deepchorale.compose.melody import MelodyError, load_melody, place_in_register
from deepchorale.data.chorale import REST


@pytest.mark.parametrize(
    "name", ["ode_to_joy", "twinkle_twinkle", "new_world", "greensleeves", "ein_feste_burg"]
)
def test_every_tune_is_developed_to_a_minute(name):
    melody = place_in_register(load_melody(name))
    plan = plan_form(melody, 60.0)
    assert plan.seconds() == pytest.approx(60.0)
    assert 0.75 <= plan.qpm / melody.qpm <= 1.25
    kinds = [s.kind for s in plan.sections]
    assert kinds[0] == "statement"
    if len(kinds) > 1:
        assert kinds[-1] == "close" and kinds[1] == "sequence"
        assert all(s.transposition == 0 for s in plan.sections if s.kind in ("statement", "close"))
    for section in plan.sections:
        sounding = section.pitches[section.pitches != REST]
        assert sounding.min() >= 60 and sounding.max() <= 81


def test_a_short_tune_is_never_just_looped():
    melody = place_in_register(load_melody("twinkle_twinkle"))
    plan = plan_form(melody, 120.0)
    kinds = [s.kind for s in plan.sections]
    assert {"reharmonise", "sequence", "vary"} <= set(kinds)
    sequences = [s for s in plan.sections if s.kind == "sequence"]
    assert all(s.transposition != 0 for s in sequences)


def test_a_long_tune_is_cut_at_a_barline():
    melody = place_in_register(load_melody("ein_feste_burg"))
    plan = plan_form(melody, 20.0)
    assert plan.seconds() == pytest.approx(20.0)
    assert plan.num_steps % 16 == melody.pickup % 16


def test_variation_fills_thirds_with_passing_tones():
    melody = place_in_register(load_melody("twinkle_twinkle"))
    pitches, onsets = vary(melody)
    assert onsets.sum() > melody.onsets.sum() and onsets[melody.onsets].all()  # every tune note still starts
    changed = pitches != melody.pitches
    assert changed.any() and set(pitches[changed] % 12) <= {7, 9, 11, 0, 2, 4, 6}  # G major scale tones


@pytest.mark.parametrize("seconds", [0.5, 100000.0])
def test_absurd_durations_are_refused(seconds):
    with pytest.raises(MelodyError, match="outside 5-1800 s"):
        plan_form(load_melody("ode_to_joy"), seconds)
