from deepchorale.data.cache import cache_path, load_corpus, load_or_build, save_corpus
from deepchorale.data.corpus import CorpusOptions


def test_cache_round_trip_is_exact(corpus, tmp_path):
    path = tmp_path / "corpus.npz"
    save_corpus(corpus, path)
    loaded = load_corpus(path)
    assert loaded.chorales == corpus.chorales
    assert loaded.skipped == corpus.skipped
    assert (loaded.quantized_notes, loaded.dropped_notes, loaded.files) == (
        corpus.quantized_notes,
        corpus.dropped_notes,
        corpus.files,
    )


def test_cache_key_follows_the_parsing_options(tmp_path):
    default = cache_path(tmp_path, CorpusOptions())
    assert cache_path(tmp_path, CorpusOptions()) == default
    assert cache_path(tmp_path, CorpusOptions(dedupe_transpositions=False)) != default
    assert cache_path(tmp_path, CorpusOptions(keep_instrumental_scores=False)) != default


def test_changed_options_build_a_new_cache_and_reuse_it(tmp_path, corpus):
    options = CorpusOptions(keep_instrumental_scores=False)
    built = load_or_build(tmp_path, options, workers=2)
    assert built.info["built"]
    assert len(built.chorales) < len(corpus.chorales)
    assert "instrumental parts besides the four voices" in built.skipped.values()
    again = load_or_build(tmp_path, options)
    assert not again.info["built"] and again.chorales == built.chorales
    assert len(list(tmp_path.glob("*.npz"))) == 1


def test_a_corrupt_cache_is_rebuilt(tmp_path, corpus):
    path = cache_path(tmp_path, CorpusOptions())
    path.write_bytes(b"truncated")
    rebuilt = load_or_build(tmp_path, CorpusOptions())
    assert rebuilt.info["built"] and rebuilt.chorales == corpus.chorales
