"""The canonical JSB Chorales split (Boulanger-Lewandowski et al., 2012): 229 / 76 / 77 pieces.

This is the data and split on which Coconet reports 0.57 nats per frame, so a model evaluated
here stands directly beside the paper. The JSON (`Jsb16thSeparated.json`, from the public
czhuang/JSB-Chorales-dataset repository) is not shipped: its path comes from config. It holds one
[S, A, T, B] list per 16th step; held and repeated notes are not told apart, so an onset is
placed wherever the pitch changes, and meter and fermatas are unknown (4/4, none).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from deepchorale.data.chorale import Chorale, chorale_from_pitches
from deepchorale.data.datamodule import ChoraleDataModule
from deepchorale.data.key import estimate_key, final_bass

JSB_SPLITS = {"train": "train", "val": "valid", "test": "test"}


def chorale_from_steps(id: str, steps: list[list[int]]) -> Chorale:
    pitches = np.array(steps, dtype=np.int16).T
    tonic, mode = estimate_key(pitches, final_bass=final_bass(pitches))
    return chorale_from_pitches(id, pitches, key_tonic=tonic, key_mode=mode)


def read_jsb(path: str | Path) -> dict[str, list[Chorale]]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"JSB chorales file {path} not found: get Jsb16thSeparated.json from the public "
            "czhuang/JSB-Chorales-dataset repository and set data.path to it"
        )
    pieces = json.loads(path.read_text())
    return {
        split: [chorale_from_steps(f"jsb-{key}-{i}", steps) for i, steps in enumerate(pieces[key])]
        for split, key in JSB_SPLITS.items()
    }


class JSBDataModule(ChoraleDataModule):
    """`ChoraleDataModule`'s windows and loaders over the JSB split instead of our corpus."""

    def __init__(self, path: str, **loader_options) -> None:
        super().__init__(**loader_options)
        self.path = path

    def prepare_data(self) -> None:
        if not Path(self.path).is_file():
            read_jsb(self.path)  # raises the explanatory FileNotFoundError

    def load_splits(self) -> dict[str, list[Chorale]]:
        return read_jsb(self.path)
