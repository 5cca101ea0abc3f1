"""Write a public-domain corpus that is not Bach as a folder of MIDI files: a seeded subset of the
Palestrina mass movements that ship with music21 (Humdrum files, offline), one MIDI file each, a
track per voice named as in the score (Cantus, Altus, Tenor, Bassus, ...).

    python experiments/own_data/write_corpus.py <folder> [--pieces 150] [--seed 0]

The folder is what `deepchorale ... data=folder data.path=<folder>` reads (README.md here).
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import music21


def palestrina_files() -> list[Path]:
    folder = Path(music21.__file__).parent / "corpus" / "palestrina"
    return sorted(path for path in folder.glob("*.krn") if not path.name.startswith("_"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--pieces", type=int, default=150, help="movements to write (of 1318)")
    parser.add_argument("--seed", type=int, default=0, help="which movements")
    args = parser.parse_args()
    chosen = sorted(random.Random(args.seed).sample(palestrina_files(), args.pieces))
    args.folder.mkdir(parents=True, exist_ok=True)
    for number, path in enumerate(chosen, 1):
        target = args.folder / f"{path.stem}.mid"
        if not target.exists():  # a second run finishes what a first one left
            music21.converter.parse(path).write("midi", fp=target)
        print(f"{number}/{len(chosen)} {target.name}", flush=True)


if __name__ == "__main__":
    main()
