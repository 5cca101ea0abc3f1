"""results.json, read one way: a key names the same number in select's ranking and search's objective."""

import json

import pytest

from deepchorale.run_records import RecordError, bundle_name, figures, lookup, read_results, write_results
from deepchorale.search.worker import objective_values
from deepchorale.selection.leaderboard import rank
from deepchorale.selection.runs import SelectionError, find_runs

# Figures as train, compose and a search summary nest them: names with slashes and with dots.
RESULTS = {
    "val/loss": 1.5,
    "test": {"test/nll_note": 2.25},
    "metrics": {"empty_bar_rate/all": 0.125, "parallel_fifths": 0.0},
    "best": {"params": {"model.optimizer.lr": 0.003}, "value": 1.25},
    "judge_score": None,
    "converged": True,
    "melody": "ode_to_joy",
    "settings": {"seed": 3},
}


def test_lookup_takes_the_longest_prefix_that_names_an_entry():
    assert lookup(RESULTS, "val/loss") == 1.5
    assert lookup(RESULTS, "test.test/nll_note") == 2.25
    assert lookup(RESULTS, "metrics.empty_bar_rate/all") == 0.125
    assert lookup(RESULTS, "best.params.model.optimizer.lr") == 0.003
    assert lookup(RESULTS, "settings.seed") == 3
    assert lookup({"a.b": {"c": 1}, "a": {"b": {"c": 2}}}, "a.b.c") == 1
    with pytest.raises(KeyError):
        lookup(RESULTS, "metrics.parallel_octaves")


def test_figures_are_every_finite_number_by_the_key_lookup_reads_it_at():
    found = figures({**RESULTS, "diverged": float("nan")})
    assert found == {
        "val/loss": 1.5,
        "test.test/nll_note": 2.25,
        "metrics.empty_bar_rate/all": 0.125,
        "metrics.parallel_fifths": 0.0,
        "best.params.model.optimizer.lr": 0.003,
        "best.value": 1.25,
    }  # not None, a bool, text, NaN, nor the config compose and select echo under `settings`
    assert all(lookup(RESULTS, key) == value for key, value in found.items())


def test_a_key_means_the_same_in_select_and_in_search(tmp_path):
    run = write_results(tmp_path / "run", RESULTS).parent
    runs = find_runs(str(run))
    for key, value in figures(RESULTS).items():
        (entry,) = rank(runs, key, "max", rails=[])
        assert [entry.score] == objective_values(run, [key])[0] == [value], key
    # A key that names no number ranks nothing in select and fails the trial in search.
    for key in ("judge_score", "converged", "melody", "metrics.parallel_octaves"):
        with pytest.raises(SelectionError, match=f"criterion key '{key}' holds a number in none"):
            rank(runs, key, "max", rails=[])
        why = f"results.json has no finite {key} (got {RESULTS.get(key)!r})"
        assert objective_values(run, [key]) == (None, {}, why)


def test_a_record_that_is_no_object_is_said_so(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_results(tmp_path)
    (tmp_path / "results.json").write_text("{not json")
    with pytest.raises(RecordError, match=r"results\.json is not valid JSON"):
        read_results(tmp_path)
    assert objective_values(tmp_path, ["val/loss"]) == (None, {}, "exit 0 but results.json is not valid JSON")
    (tmp_path / "results.json").write_text(json.dumps([1.5]))
    with pytest.raises(RecordError, match=r"results\.json does not hold an object"):
        read_results(tmp_path)
    (tmp_path / "results.json").unlink()
    assert objective_values(tmp_path, ["val/loss"]) == (None, {}, "exit 0 but no results.json")


def test_bundle_names_are_lower_case_with_one_dash_between_words():
    assert bundle_name("J S Bot", "deepchorale", "baroque") == "j-s-bot-deepchorale-baroque"
    assert bundle_name("Ada  Lovelace!", "Analytical Engines Ltd.", "Baroque/Fugue") == (
        "ada-lovelace-analytical-engines-ltd-baroque-fugue"
    )
