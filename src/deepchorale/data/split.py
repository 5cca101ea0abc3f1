"""The train/val/test split: deterministic, grouped so that no chorale leaks across splits.

Two chorales share a group when they share a BWV number (bwv18.5-lz and bwv18.5-w are two
versions of movement 5 of cantata 18) or when their sopranos open with the same melody (Bach harmonised
many hymn tunes several times: bwv13.6, bwv244.10 and bwv392 set the same tune). Groups are
ordered by a hash of their first member and cut at 80/10/10 of the chorale count, so the split is
fixed by the corpus alone. It is committed as a manifest (`splits/<composer>.json`); loading
checks the corpus against it so a changed corpus cannot silently reshuffle the test set.
"""

from __future__ import annotations

import hashlib
import json
import re
from importlib.resources import files
from pathlib import Path

import numpy as np

from deepchorale.atomic import write_json
from deepchorale.data.chorale import Chorale

SPLITS = ("train", "val", "test")
FRACTIONS = (0.8, 0.1, 0.1)
TUNE_INTERVALS = 12  # soprano intervals that identify a hymn tune


def bwv_number(id: str) -> str:
    """The BWV number of the movement: 'bwv244.3' -> '244.3', 'bwv18.5-lz' -> '18.5'.

    Not the work alone: a cantata's closing chorale and its opening chorale are different pieces,
    and grouping whole works would chain most of the corpus into one group through shared tunes.
    Ids that are not BWV numbers stand alone.
    """
    match = re.match(r"bwv(\d+(?:\.\d+)?)", id)
    return match.group(1) if match else id


def tune_signature(chorale: Chorale) -> tuple[int, ...]:
    """The soprano's first melodic intervals, which are the same in every setting of a tune."""
    soprano = chorale.pitches[0][np.flatnonzero(chorale.onsets[0])]
    return tuple(np.diff(soprano[: TUNE_INTERVALS + 1]).tolist())


def leakage_groups(chorales: list[Chorale]) -> list[list[str]]:
    """Connected components of 'same BWV number or same tune', each sorted, in sorted order."""
    parent = {c.id: c.id for c in chorales}

    def root(id: str) -> str:
        while parent[id] != id:
            parent[id] = parent[parent[id]]
            id = parent[id]
        return id

    first_by_key: dict[object, str] = {}
    for chorale in chorales:
        for key in (("bwv", bwv_number(chorale.id)), ("tune", tune_signature(chorale))):
            if key in first_by_key:
                parent[root(chorale.id)] = root(first_by_key[key])
            else:
                first_by_key[key] = chorale.id
    groups: dict[str, list[str]] = {}
    for chorale in chorales:
        groups.setdefault(root(chorale.id), []).append(chorale.id)
    return sorted(sorted(group) for group in groups.values())


def assign_splits(chorales: list[Chorale]) -> dict[str, list[str]]:
    """Groups in hash order; a group goes to the split in which its middle chorale falls."""
    groups = leakage_groups(chorales)
    groups.sort(key=lambda group: hashlib.sha256(group[0].encode()).hexdigest())
    total = sum(len(group) for group in groups)
    bounds = np.cumsum(FRACTIONS)
    splits: dict[str, list[str]] = {name: [] for name in SPLITS}
    seen = 0
    for group in groups:
        middle = (seen + len(group) / 2) / total
        splits[SPLITS[int(np.searchsorted(bounds, middle))]].extend(group)
        seen += len(group)
    return {name: sorted(ids) for name, ids in splits.items()}


def manifest_path(composer: str = "bach") -> Path:
    return Path(str(files("deepchorale.data") / "splits" / f"{composer}.json"))


def write_manifest(chorales: list[Chorale], path: str | Path) -> dict[str, list[str]]:
    splits = assign_splits(chorales)
    write_json(path, {"rule": __doc__.split("\n\n")[1].replace("\n", " "), **splits})
    return splits


def read_manifest(path: str | Path, chorales: list[Chorale]) -> dict[str, list[str]]:
    """The committed split, checked against the corpus: every chorale in exactly one split."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"split manifest {path} is missing: run `deepchorale data write_manifest=true`"
        )
    manifest = json.loads(path.read_text())
    listed = {id for name in SPLITS for id in manifest[name]}
    present = {c.id for c in chorales}
    if listed != present:
        extra, missing = sorted(present - listed)[:5], sorted(listed - present)[:5]
        raise ValueError(
            f"the corpus does not match the split manifest {path.name} (not listed: {extra}, "
            f"not in corpus: {missing}); rebuild it with `deepchorale data write_manifest=true`"
        )
    return {name: list(manifest[name]) for name in SPLITS}
