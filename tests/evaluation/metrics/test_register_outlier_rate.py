import math

import numpy as np
import pytest

from deepchorale.data.datamodule import ChoraleDataModule
from deepchorale.data.registers import bach_bands, bach_medians
from deepchorale.evaluation.metrics.register_outlier_rate import register_bands, register_outlier_rate
from tests.conftest import CACHE_DIR
from tests.evaluation.metrics.conftest import chords, voices


def test_the_stored_bands_are_the_training_split_percentiles():
    train = ChoraleDataModule(cache_dir=str(CACHE_DIR)).chorales("train")
    assert register_bands(train).tolist() == bach_bands().tolist()
    # The bands the docstring and evaluation/README.md quote, each inside its textbook range.
    assert bach_bands().tolist() == [[62, 78], [58, 71], [53, 66], [41, 60]]
    assert register_bands(train, (50, 50))[:, 0].tolist() == bach_medians().tolist() == [71, 65, 59, 51]


def test_percentiles_are_pitches_that_occur():
    line = [(pitch, 1) for pitch in range(60, 110)]  # 50 notes, one per pitch
    bands = register_bands([voices(line, line, line, line)], percentiles=(2, 98))
    assert bands.tolist() == [[60, 108]] * 4  # 1 of 50 notes is 2%, 49 of 50 are 98%


def test_notes_outside_the_bands_per_voice():
    inside, outside = (62, 58, 53, 41), (79, 58, 52, 41)  # soprano above 78, tenor below 53
    rates = register_outlier_rate(chords(inside, (78, 71, 66, 60), outside, outside))
    assert rates == {"soprano": 0.5, "alto": 0.0, "tenor": 0.5, "bass": 0.0, "all": 0.25}
    held = register_outlier_rate(voices([(80, 12), (70, 4)]))  # each note counts once
    assert held["soprano"] == 0.5
    assert math.isnan(held["alto"])


def test_bach_keeps_to_his_register_random_and_high_voicings_do_not(corpus, random_chorales):
    bach = [register_outlier_rate(c)["all"] for c in corpus.chorales]
    assert np.median(bach) < 0.02
    assert np.mean(bach) == pytest.approx(0.02, abs=0.01)
    assert np.mean([register_outlier_rate(c)["all"] for c in random_chorales]) > 0.2
    # A Bach chorale moved up a fourth leaves most of its notes at the edge of Bach's register.
    raised = [register_outlier_rate(c.transpose(5))["all"] for c in corpus.chorales[:40]]
    assert np.median(raised) > 0.2
