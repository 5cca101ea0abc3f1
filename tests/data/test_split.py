import pytest

from deepchorale.data.split import (
    SPLITS,
    assign_splits,
    bwv_number,
    leakage_groups,
    manifest_path,
    read_manifest,
    tune_signature,
    write_manifest,
)


def test_committed_manifest_is_what_the_rule_produces(corpus, manifest):
    assert assign_splits(corpus.chorales) == manifest


def test_split_sizes_and_disjointness(corpus, manifest):
    sizes = {name: len(manifest[name]) for name in SPLITS}
    assert sizes["train"] >= 260 and sizes["val"] >= 30 and sizes["test"] >= 30
    ids = [id for name in SPLITS for id in manifest[name]]
    assert len(ids) == len(set(ids)) == len(corpus.chorales)


def test_no_bwv_number_or_tune_straddles_splits(corpus, manifest):
    split_of = {id: name for name in SPLITS for id in manifest[name]}
    for key in (lambda c: bwv_number(c.id), tune_signature):
        seen = {}
        for chorale in corpus.chorales:
            assert seen.setdefault(key(chorale), split_of[chorale.id]) == split_of[chorale.id], chorale.id


def test_variants_share_a_group(corpus):
    group_of = {id: i for i, group in enumerate(leakage_groups(corpus.chorales)) for id in group}
    assert group_of["bwv18.5-lz"] == group_of["bwv18.5-w"]  # two versions of one movement
    assert group_of["bwv13.6"] == group_of["bwv392"]  # one hymn tune, two settings
    assert bwv_number("bwv248.23-s") == "248.23"


def test_manifest_is_deterministic_and_checked(corpus, tmp_path):
    first = write_manifest(corpus.chorales, tmp_path / "a.json")
    assert write_manifest(list(reversed(corpus.chorales)), tmp_path / "b.json") == first
    assert (tmp_path / "a.json").read_text() == (tmp_path / "b.json").read_text()
    with pytest.raises(ValueError, match="does not match the split manifest"):
        read_manifest(manifest_path(), corpus.chorales[:-1])
    with pytest.raises(FileNotFoundError, match="write_manifest=true"):
        read_manifest(tmp_path / "missing.json", corpus.chorales)
