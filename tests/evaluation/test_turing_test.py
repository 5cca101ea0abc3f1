"""The automated Turing test's discriminators: they tell Bach from an obviously different set, read
chance on Bach against Bach, keep chorales whole across folds and give the same figures for the
same seed; the window features on a hand-written chorale."""

from dataclasses import replace

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from deepchorale.data.chorale import Chorale
from deepchorale.evaluation.reference import bach_split
from deepchorale.evaluation.turing_features import FEATURES, cut_windows, window_features, window_planes
from deepchorale.evaluation.turing_test import (
    TuringSettings,
    auc,
    bach_against_bach,
    fit_cnn,
    fold_of,
    labelled_windows,
    turing_test,
)
from tests.conftest import CACHE_DIR

QUICK = {"folds": 3, "bootstrap_resamples": 200, "cnn_epochs": 3}


@pytest.fixture(scope="module")
def bach():
    return bach_split("test", CACHE_DIR)


def bass_up_an_octave(chorale: Chorale) -> Chorale:
    pitches = chorale.pitches.copy()
    pitches[3] = np.where(pitches[3] >= 0, pitches[3] + 12, -1)
    return replace(chorale, pitches=pitches)


def inner_voices_at_random(chorale: Chorale, rng: np.random.Generator) -> Chorale:
    """Alto and tenor re-pitched note by note within their ranges (onsets kept)."""
    pitches = chorale.pitches.copy()
    for voice, (low, high) in ((1, (55, 74)), (2, (48, 69))):
        starts = np.flatnonzero(chorale.onsets[voice])
        drawn = rng.integers(low, high + 1, len(starts))
        note = np.cumsum(chorale.onsets[voice]) - 1
        pitches[voice] = np.where(pitches[voice] >= 0, drawn[np.maximum(note, 0)], -1)
    return replace(chorale, pitches=pitches)


def test_a_bass_an_octave_up_is_told_apart_by_both(bach):
    pieces = bach[:12]
    result = turing_test(pieces, [(c.id, bass_up_an_octave(c)) for c in pieces], TuringSettings(**QUICK))
    for name in ("trees", "cnn"):
        figures = result["discriminators"][name]
        assert figures["auc"] > 0.95 and figures["ci95"][0] > 0.9, (name, figures)
    assert result["features"][0]["feature"] in ("register/bass", "spacing/tenor-bass")
    assert result["chorales"] == 12 and result["windows"]["bach"] == result["windows"]["generated"]


def test_random_inner_voices_are_told_apart_by_the_trees(bach):
    rng = np.random.default_rng(0)
    pieces = bach[:12]
    generated = [(c.id, inner_voices_at_random(c, rng)) for c in pieces]
    result = turing_test(pieces, generated, TuringSettings(**QUICK, discriminators=["trees"]))
    assert result["discriminators"]["trees"]["auc"] > 0.95
    assert result["features"][0]["auc"] > 0.9 or result["features"][0]["auc"] < 0.1


def test_bach_against_bach_reads_chance(bach):
    result = bach_against_bach(bach, TuringSettings(discriminators=["trees"], bootstrap_resamples=500))
    figures = result["discriminators"]["trees"]
    low, high = figures["ci95"]
    assert low < 0.5 < high and abs(figures["auc"] - 0.5) < 0.1, figures
    first, second = result["halves"]
    assert len(first) == len(second) == 20 and not set(first) & set(second)
    assert result["chorales"] == 20  # pairs: each a group holding one chorale of each half


def test_folds_keep_chorales_whole_and_hold_both_labels(bach):
    pieces = [(c, 0, c.id) for c in bach[:10]] + [(bass_up_an_octave(c), 1, c.id) for c in bach[:10]]
    windows = labelled_windows(pieces, TuringSettings())
    fold = fold_of(windows.labels, windows.groups, 5, seed=0)
    assert {len(np.unique(fold[windows.groups == g])) for g in np.unique(windows.groups)} == {1}
    assert all(set(windows.labels[fold == f]) == {0, 1} for f in range(5))
    assert not np.array_equal(fold, fold_of(windows.labels, windows.groups, 5, seed=1))


def test_the_same_seed_gives_the_same_figures(bach):
    pieces = bach[:6]
    generated = [(c.id, bass_up_an_octave(c)) for c in pieces[::2]] + [(c.id, c) for c in pieces[1::2]]
    settings = TuringSettings(folds=2, bootstrap_resamples=50, cnn_epochs=1)
    first, again = turing_test(pieces, generated, settings), turing_test(pieces, generated, settings)
    assert first == again
    other = turing_test(pieces, generated, replace(settings, seed=1))
    assert other["discriminators"] != first["discriminators"]


def test_the_cnn_reads_the_same_at_any_thread_count(bach):
    """Its float sums in one order: a seed gives one AUC on a 1-core laptop and a 2-core CI alike."""
    pieces = bach[:6]
    generated = [(c.id, bass_up_an_octave(c)) for c in pieces]
    windows = labelled_windows(
        [(c, 0, c.id) for c in pieces] + [(g, 1, i) for i, g in generated], TuringSettings()
    )
    planes, labels = windows.planes, windows.labels
    settings = TuringSettings(cnn_epochs=2)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        alone = fit_cnn(planes, labels, planes, 0, settings)
        torch.set_num_threads(2)
        shared = fit_cnn(planes, labels, planes, 0, settings)
        assert torch.get_num_threads() == 2  # the caller's threads back afterwards
    finally:
        torch.set_num_threads(threads)
    assert np.array_equal(alone, shared)


def test_auc_agrees_with_sklearn_with_ties_and_weights():
    rng = np.random.default_rng(0)
    labels, scores = rng.integers(0, 2, 300), rng.integers(0, 10, 300).astype(float)
    weights = rng.integers(0, 4, 300).astype(float)
    assert auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores))
    assert auc(labels, scores, weights) == pytest.approx(roc_auc_score(labels, scores, sample_weight=weights))
    assert np.isnan(auc(np.zeros(5), np.arange(5.0)))


def test_bad_settings_and_unknown_sources_are_refused(bach):
    with pytest.raises(ValueError, match="discriminators must be some of"):
        TuringSettings(discriminators=["svm"])
    with pytest.raises(ValueError, match="folds >= 2"):
        TuringSettings(folds=1)
    with pytest.raises(ValueError, match="not among the Bach chorales"):
        turing_test(bach[:2], [("bwv0", bach[2])], TuringSettings())


def hand_written() -> Chorale:
    """Two bars of 4/4: a C major chord (the soprano re-strikes its C), then G7 with two 16ths in
    the alto, the second of which (A) makes G-A-B-D, no chord."""
    pitches = np.zeros((4, 32), np.int16)
    pitches[0] = [72] * 16 + [71] * 16
    pitches[1] = [67] * 16 + [65, 69] + [65] * 14
    pitches[2] = [64] * 16 + [62] * 16
    pitches[3] = [48] * 16 + [43] * 16
    onsets = np.zeros((4, 32), bool)
    onsets[:, [0, 16]] = True
    onsets[0, 8] = True  # the re-struck C
    onsets[1, [17, 18]] = True
    return Chorale("hand", pitches, onsets, np.zeros(32, bool))


def test_the_features_of_a_hand_written_window():
    chorale = hand_written()
    windows = cut_windows(chorale)
    (row,) = window_features(chorale, windows)
    features = dict(zip(FEATURES, row))
    expected = {
        "register/soprano": 71.5, "repeated_notes/soprano": 0.5, "repeated_notes/alto": 0.0,
        "sixteenths/alto": 0.5, "offbeat_onsets/alto": 0.25, "onsets_per_bar/tenor": 1.0,
        "melodic_interval/bass": 5.0, "spacing/soprano-alto": 172 / 32, "spacing_fault": 0.0,
        "crossing": 0.0, "unison": 0.0, "lower_rests": 0.0, "one_voice_moves": 0.75,
        "chord/triad": 0.5, "chord/seventh": 15 / 32, "chord/non_chord": 1 / 32, "chord/incomplete": 0.0,
        "root_position": 1.0, "out_of_key": 0.0, "chord_changes_per_bar": 2.0, "parallel_fifths": 0.0,
        "outer/similar": 1.0, "outer/contrary": 0.0, "outer/oblique": 0.0,
    }  # fmt: skip
    assert {name: features[name] for name in expected} == pytest.approx(expected)
    planes = window_planes(windows, 32)
    assert planes.shape == (1, 8, 46, 32) and planes[0, 0].sum() == 32 and planes[0, 4].sum() == 3


def test_windows_start_on_downbeats_and_skip_a_silent_soprano():
    chorale = hand_written()
    longer = replace(
        chorale,
        pitches=np.concatenate([chorale.pitches[:, :4], chorale.pitches, np.full((4, 32), -1)], axis=1),
        onsets=np.concatenate([chorale.onsets[:, :4], chorale.onsets, np.zeros((4, 32), bool)], axis=1),
        fermatas=np.zeros(68, bool),
        pickup=4,
    )
    # bars start at 4, 20, 36, 52: the windows from 36 on are more than half silent
    assert cut_windows(longer).starts.tolist() == [4, 20]
