"""Search spaces: checked before any trial, sampled by Optuna, written as Hydra overrides."""

import optuna
import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser

from deepchorale.search.space import SpaceError, as_overrides, check_space, override_value, suggest

SPACE = {
    "model.optimizer.lr": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True},
    "model.net.num_layers": {"type": "int", "low": 8, "high": 16, "step": 4},
    "harmonize.schedule": {"type": "categorical", "choices": ["yao", "constant"]},
}


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"type": "gaussian"}, "give type float, int or categorical"),
        ({"type": "float", "low": 1.0, "high": 1.0}, "needs low < high"),
        ({"type": "float", "low": 0.0, "high": 1.0, "log": True}, "log scale needs low > 0"),
        ({"type": "int", "low": 1, "high": 4, "choices": [1]}, "int takes no choices"),
        ({"type": "categorical", "choices": [[1, 2]]}, "choices must be a list"),
    ],
)
def test_bad_spaces_are_named(spec, reason):
    with pytest.raises(SpaceError, match=reason):
        check_space({"x": spec})


def test_a_seeded_sampler_draws_the_same_trials_within_the_space():
    space = check_space(SPACE)

    def draws(seed):
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=2))
        out = []
        for value in (3.0, 2.0, 1.0, 0.5):
            trial = study.ask()
            out.append(suggest(trial, space))
            study.tell(trial, value)
        return out

    first = draws(7)
    assert first == draws(7) and first != draws(8)
    for params in first:
        assert 1e-4 <= params["model.optimizer.lr"] <= 1e-2
        assert params["model.net.num_layers"] in (8, 12, 16)
        assert params["harmonize.schedule"] in ("yao", "constant")


@pytest.mark.parametrize(
    "value", [1e-05, 0.003, 96, True, False, None, "yao", "D major", "it's", "/a b/c.pt", [6, 6, 19, 19]]
)
def test_override_values_read_back_through_hydras_parser(value):
    (override,) = OverridesParser.create().parse_overrides([f"key={override_value(value)}"])
    assert override.value() == value


def test_overrides_name_each_parameter():
    assert as_overrides({"harmonize.steps": 64, "ornaments.strength": 0.25}) == [
        "harmonize.steps=64",
        "ornaments.strength=0.25",
    ]
