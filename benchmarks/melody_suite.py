"""The benchmark's melodies that nobody tuned compose on: Bach test-split sopranos and German folk tunes.

    .venv/bin/python benchmarks/melody_suite.py [--out evaluation/melodies]

`benchmarks/music_quality.py` composes these besides the five built-in tunes (which earlier work
tuned compose's settings on). Two groups, each picked by a fixed rule, so the suite is the same on
every machine (`tests/benchmarks/test_melody_suite.py` checks the committed one against this script):
- `bach_*`: the soprano of 10 chorales of the Bach **test** split (the committed manifest,
  `src/deepchorale/data/splits/bach.json`), one from each run of four ids in id order (the first
  compose accepts), at 80 qpm (chorales carry no tempo), with its meter and pickup. No model saw
  these chorales; Bach's own setting of each is in the reference the benchmark compares against.
- `folk_*`: 12 German folk tunes of music21's offline `essenFolksong` collection (Essen Folksong
  Collection, Schaffrath 1995): of each of six German collections, the tunes whose origin says
  Deutschland, the first one compose accepts from the start and from the middle (a collection
  lists a song's variants together), at compose's default 96 qpm. Not
  `ryansMammoth`: the judges were trained on composed tracks of its tunes.
"Accepts" is compose's own check: the tune read back from the written file fits the soprano's
reach and plans as a 60 s track (`place_in_register`, `plan_form`, compose's `duration`).

Each tune is a one-track MIDI file (tempo, meter, pickup as a short first bar, key signature)
written by `data.convert.to_midi`; `manifest.json` names each file's source and the command.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import music21
import numpy as np
from omegaconf import DictConfig

from deepchorale.atomic import write_json
from deepchorale.compose.form import plan_form
from deepchorale.compose.melody import Melody, MelodyError, load_melody, place_in_register
from deepchorale.compose.settings import compose_config
from deepchorale.data.chorale import REST, STEPS_PER_QUARTER, Chorale
from deepchorale.data.convert import to_midi
from deepchorale.evaluation.reference import bach_split
from deepchorale.resolvers import project_root

OUT = Path(project_root()) / "evaluation" / "melodies"
BACH_PIECES, BACH_STRIDE, BACH_QPM = 10, 4, 80.0
ESSEN = Path(music21.__file__).parent / "corpus" / "essenFolksong"
FOLK_COLLECTIONS = ("boehme20", "erk10", "erk20", "fink0", "kinder0", "zuccal0")  # German songs
FOLK_PER_COLLECTION = 2


def soprano_of(chorale: Chorale, qpm: float = BACH_QPM) -> Melody:
    """The chorale's soprano as a tune (as experiments/judge_negatives/compose_negatives.py takes it)."""
    return Melody(chorale.id, chorale.pitches[0].copy(), chorale.onsets[0].copy(), chorale.meter,
                  chorale.pickup, qpm, chorale.key_tonic, chorale.key_mode)  # fmt: skip


def write_tune(melody: Melody, path: Path) -> None:
    """`melody` as a one-track MIDI file (the soprano track of `to_midi`: tempo, meter, pickup, key)."""
    silent = np.full((3, melody.num_steps), REST, np.int16)
    pitches, onsets = np.vstack([melody.pitches, silent]), np.vstack([melody.onsets, silent != REST])
    chorale = Chorale(melody.name, pitches, onsets, np.zeros(melody.num_steps, bool), melody.meter,
                      melody.key_tonic, melody.key_mode, melody.pickup)  # fmt: skip
    midi = to_midi(chorale, qpm=melody.qpm)
    midi.instruments = midi.instruments[:1]
    midi.write(str(path))


def reads_back(path: Path, melody: Melody) -> Melody:
    """The melody compose reads from `path`, checked to be `melody` (MIDI keeps no trailing rest)."""
    read = load_melody(str(path))
    last = int(np.flatnonzero(melody.pitches != REST)[-1]) + 1
    same = (read.meter, read.pickup, read.qpm) == (melody.meter, melody.pickup, melody.qpm)
    if not (same and np.array_equal(read.pitches, melody.pitches[:last])
            and np.array_equal(read.onsets, melody.onsets[:last])):  # fmt: skip
        raise RuntimeError(f"{path.name} does not read back as {melody.name}")
    return read


def kept(melody: Melody, out: Path, duration: DictConfig) -> bool:
    """Write `melody` as `out/<name>.mid` and keep it if compose takes it as a track of `duration`."""
    path = out / f"{melody.name}.mid"
    write_tune(melody, path)
    try:
        plan_form(place_in_register(reads_back(path, melody)), duration.target_seconds,
                  duration.max_tempo_change)  # fmt: skip
    except MelodyError:
        path.unlink()
        return False
    return True


def essen_tunes(collection: str) -> list[tuple[int, str]]:
    """(tune number, title) of every tune of an Essen ABC file whose origin says Deutschland."""
    tunes = []
    for block in re.split(r"^(?=X:)", (ESSEN / f"{collection}.abc").read_text(errors="replace"), flags=re.M):
        fields = dict(re.findall(r"^([XTO]):\s*(.*?)\s*$", block, re.M)[::-1])  # first of each field
        if "X" in fields and "Deutschland" in fields.get("O", ""):
            tunes.append((int(fields["X"]), fields.get("T", "")))
    return tunes


def essen_melody(collection: str, number: int, name: str) -> Melody:
    """One tune of an Essen ABC file, read by compose's own reader, with its pickup (which the ABC
    reader does not keep) from music21's first measure."""
    score = music21.converter.parse(ESSEN / f"{collection}.abc", number=number)
    with tempfile.TemporaryDirectory() as folder:
        single = Path(folder) / f"{name}.abc"
        single.write_text(tune_text(collection, number))
        melody = load_melody(str(single))
    first = next(iter(score.recurse().getElementsByClass("Measure")))
    pickup = Fraction(first.barDuration.quarterLength - first.paddingLeft) if first.paddingLeft else 0
    return replace(melody, name=name, pickup=int(pickup * STEPS_PER_QUARTER))


def tune_text(collection: str, number: int) -> str:
    """The ABC text of one tune of an Essen file (its X: block)."""
    text = (ESSEN / f"{collection}.abc").read_text(errors="replace")
    return next(b for b in re.split(r"^(?=X:)", text, flags=re.M) if re.match(rf"X:\s*{number}\s*$", b, re.M))


def slug(title: str, words: int = 4) -> str:
    return "_".join(re.findall(r"[a-z0-9]+", title.lower())[:words])


def build_suite(out: Path, cache_dir: str | None = None) -> list[dict]:
    """Write the suite's MIDI files into `out`; returns the manifest's entries, in suite order."""
    duration = compose_config().duration
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    chorales = sorted(bach_split("test", cache_dir), key=lambda c: c.id)
    for start in range(0, BACH_PIECES * BACH_STRIDE, BACH_STRIDE):
        for chorale in chorales[start : start + BACH_STRIDE]:
            melody = replace(soprano_of(chorale), name=f"bach_{slug(chorale.id, 9)}")
            if kept(melody, out, duration):
                source = f"Bach chorale {chorale.id}, soprano (test split)"
                entries.append({"file": f"{melody.name}.mid", "group": "bach_test_soprano", "source": source})
                break
    for collection in FOLK_COLLECTIONS:
        tunes, titles = essen_tunes(collection), set()
        for start in range(0, len(tunes), -(-len(tunes) // FOLK_PER_COLLECTION)):  # its start, its middle
            for number, title in tunes[start:]:
                if title.lower() in titles:
                    continue
                melody = essen_melody(collection, number, f"folk_{collection}_{number}_{slug(title)}")
                if kept(melody, out, duration):
                    titles.add(title.lower())
                    source = f"music21 corpus essenFolksong/{collection}.abc, X:{number}, {title}"
                    entries.append({"file": f"{melody.name}.mid", "group": "folk", "source": source})
                    break
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    for stale in args.out.glob("*.mid"):
        stale.unlink()
    entries = build_suite(args.out)
    write_json(args.out / "manifest.json", {
        "description": __doc__.split("\n\n")[0],
        "command": " ".join(["python benchmarks/melody_suite.py", *sys.argv[1:]]),
        "music21": music21.__version__,
        "melodies": entries,
    })  # fmt: skip
    print(f"{len(entries)} melodies in {args.out}")


if __name__ == "__main__":
    main()
