"""Shared fixtures: the real corpus (parsed once per machine into the project's cache)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from deepchorale.data.cache import load_or_build
from deepchorale.data.corpus import Corpus
from deepchorale.data.split import manifest_path, read_manifest

REPO = Path(__file__).resolve().parents[1]
CACHE_DIR = Path(os.environ.get("DEEPCHORALE_CACHE", REPO / ".cache" / "deepchorale"))


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return load_or_build(CACHE_DIR)


@pytest.fixture(scope="session")
def by_id(corpus):
    return {c.id: c for c in corpus.chorales}


@pytest.fixture(scope="session")
def manifest(corpus):
    return read_manifest(manifest_path(), corpus.chorales)
