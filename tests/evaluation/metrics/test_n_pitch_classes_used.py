from deepchorale.evaluation.metrics.n_pitch_classes_used import n_pitch_classes_used
from tests.evaluation.metrics.conftest import chords


def test_octaves_share_a_pitch_class():
    assert n_pitch_classes_used(chords((72, 67, 64, 48), (74, 67, 59, 43))) == 5.0  # C E G, D B


def test_agrees_with_muspy(corpus, to_muspy):
    import muspy

    for chorale in corpus.chorales[:20]:
        assert n_pitch_classes_used(chorale) == muspy.n_pitch_classes_used(to_muspy(chorale))
