import numpy as np
import pretty_midi
import pytest

from deepchorale.data.chorale import REST
from deepchorale.data.convert import (
    ONEHOT_LOW,
    ONEHOT_PITCHES,
    from_midi,
    pitches_from_pianoroll,
    to_midi,
    to_onehot,
    to_pianoroll,
)


def test_onehot_round_trip_on_real_chorales(corpus):
    for chorale in corpus.chorales[:20]:
        onehot = to_onehot(chorale.pitches)
        assert onehot.shape == (4, chorale.num_steps, ONEHOT_PITCHES)
        assert set(np.unique(onehot.sum(-1))) <= {0.0, 1.0}
        read_back = np.where(onehot.any(-1), onehot.argmax(-1) + ONEHOT_LOW, REST)
        assert np.array_equal(read_back, chorale.pitches)


def test_onehot_refuses_pitches_outside_its_range():
    with pytest.raises(ValueError, match="36-81"):
        to_onehot(np.array([[84], [60], [50], [40]]))


def test_pianoroll_round_trip_when_voices_do_not_cross(corpus):
    for chorale in corpus.chorales[:20]:
        roll = to_pianoroll(chorale.pitches)
        assert roll.shape == (chorale.num_steps, 128)
        sorted_steps = np.all(np.diff(chorale.pitches, axis=0) < 0, axis=0)  # S > A > T > B, no rests
        assert np.array_equal(pitches_from_pianoroll(roll)[:, sorted_steps], chorale.pitches[:, sorted_steps])


def test_pianoroll_with_fewer_notes_doubles_the_lowest():
    roll = np.zeros((2, 128), bool)
    roll[0, [60, 67]] = True
    assert pitches_from_pianoroll(roll).tolist() == [[67, REST], [60, REST], [60, REST], [60, REST]]


def test_midi_file_round_trip_keeps_metadata(corpus, tmp_path):
    chorale = next(c for c in corpus.chorales if c.pickup and c.fermatas.any())
    path = tmp_path / "chorale.mid"
    midi = to_midi(chorale, qpm=90)
    midi.write(str(path))
    assert [i.name for i in pretty_midi.PrettyMIDI(str(path)).instruments] == [
        "soprano",
        "alto",
        "tenor",
        "bass",
    ]
    back = from_midi(path, id=chorale.id)
    assert back == chorale
    assert back.key_name == chorale.key_name


def test_midi_that_is_not_four_voices_is_refused():
    midi = pretty_midi.PrettyMIDI()
    midi.instruments.append(pretty_midi.Instrument(0))
    midi.instruments[0].notes.append(pretty_midi.Note(80, 60, 0, 1))
    with pytest.raises(ValueError, match="expected four voiced tracks, found 1"):
        from_midi(midi)
