from deepchorale.evaluation.metrics.major_mode import major_mode
from tests.evaluation.metrics.conftest import chords


def test_mode_as_a_number():
    assert major_mode(chords((72, 64, 55, 48), key_mode="major")) == 1.0
    assert major_mode(chords((72, 63, 55, 48), key_mode="minor")) == 0.0
