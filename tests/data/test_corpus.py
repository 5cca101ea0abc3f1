from music21 import note, stream

from deepchorale.data.corpus import CorpusOptions, content_key, parse_file, skip_reason_counts


def test_corpus_has_the_unique_four_voice_chorales(corpus):
    assert len(corpus.chorales) >= 330
    ids = [c.id for c in corpus.chorales]
    assert len(ids) == len(set(ids))
    assert len({content_key(c, transpositions=True) for c in corpus.chorales}) == len(ids)
    assert all(c.pitches.shape[0] == 4 and c.num_steps >= 96 for c in corpus.chorales)


def test_every_skipped_piece_has_a_reason(corpus):
    assert corpus.files == len(corpus.chorales) + len(corpus.skipped)
    assert corpus.skipped["bwv846"].startswith("not an S/A/T/B score")  # a prelude for keyboard
    assert corpus.skipped["bwv277.krn"] == "not a MusicXML score (.krn)"
    assert corpus.skipped["bwv190.7-inst"] == "duplicate of bwv190.7"
    assert skip_reason_counts(corpus.skipped)["more than four voices"] == 2


def test_chorales_with_instrumental_parts_keep_only_the_voices(by_id):
    # bwv1.6 has a horn part besides S, A, T, B
    assert by_id["bwv1.6"].source == "bach/bwv1.6.mxl"
    assert by_id["bwv1.6"].pitches.shape[0] == 4


def write_score(path, parts):
    score = stream.Score()
    for name, pitches in parts:
        part = stream.Part()
        part.partName = name
        for pitch in pitches:
            part.append(note.Note(pitch, quarterLength=1))
        score.insert(0, part)
    score.write("musicxml", fp=path)
    return path


def test_a_three_voice_piece_is_skipped_with_its_reason(tmp_path):
    path = write_score(tmp_path / "trio.musicxml", [("Soprano", ["C5"]), ("Alto", ["E4"]), ("Bass", ["C3"])])
    _, chorale, reason, _, _ = parse_file(path, CorpusOptions())
    assert chorale is None
    assert reason == "not an S/A/T/B score (3 parts: Soprano, Alto, Bass)"


def test_a_four_voice_piece_is_read(tmp_path):
    parts = [
        ("Soprano", ["C5", "D5"]),
        ("Alto", ["E4", "F4"]),
        ("Tenor", ["G3", "A3"]),
        ("Bass", ["C3", "D3"]),
    ]
    _, chorale, reason, _, _ = parse_file(write_score(tmp_path / "four.musicxml", parts), CorpusOptions())
    assert reason is None
    assert chorale.pitches[:, ::4].tolist() == [[72, 74], [64, 65], [55, 57], [48, 50]]


def test_without_instrumental_scores_those_pieces_are_skipped(tmp_path):
    parts = [("Horn", ["C5"]), ("Soprano", ["C5"]), ("Alto", ["E4"]), ("Tenor", ["G3"]), ("Bass", ["C3"])]
    path = write_score(tmp_path / "horn.musicxml", parts)
    assert parse_file(path, CorpusOptions(keep_instrumental_scores=False))[2] == (
        "instrumental parts besides the four voices"
    )
    assert parse_file(path, CorpusOptions())[1] is not None
