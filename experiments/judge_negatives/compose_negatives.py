"""Our own composed tracks as a negative family for the judge (`data.generated_dir`, family `generated`).

    .venv/bin/python experiments/judge_negatives/compose_negatives.py --out DIR [--pieces 200] [--seed 0]

A judge that has only seen random chords and corrupted Bach rates our tracks too kindly (issue #10:
59/100 for a track with 10x Bach's parallel rate). So it also learns from what our pipeline wrote
with weaker models and the sampler settings it used before, through `compose.pipeline.compose_track` under
one of the `WEAK_SETUPS` below, dealt in turn. The tunes alternate between the soprano of a Bach
*train* chorale (at its own length, so no held-out Bach reaches the negatives) and a folk tune of
music21's corpus (`ryansMammoth`, none of compose's built-ins) made a 60 s track, as users get.
The shipped models at the shipped settings are left out on purpose: the judge must stay a fair
measure of what `deepchorale compose` writes now.

Writes `<tune>-<setup>.mid` (four tracks) and `manifest.json` (setup per file, with the command);
`judge/negatives.py` splits the files 80/10/10 by name. Same seed, same files.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import music21
from omegaconf import DictConfig

from deepchorale.atomic import atomic_path, write_json
from deepchorale.compose.form import plan_form
from deepchorale.compose.melody import Melody, MelodyError, load_melody, place_in_register
from deepchorale.compose.pipeline import compose_track
from deepchorale.compose.settings import WITHOUT_CRITIC, compose_config, default_stage_settings
from deepchorale.data.chorale import Chorale
from deepchorale.data.convert import to_midi
from deepchorale.data.datamodule import ChoraleDataModule
from deepchorale.models.weights import load_model
from deepchorale.resolvers import project_root

PRETRAINED = "experiments/pretrained"
# Earlier shipped settings (commit history of conf/compose.yaml) and weaker models: what compose
# wrote before, or would write with less. Each: Coconet weights, AR-CNN weights or None, overrides.
# The shipped files were drawn at 96 Gibbs steps without the range rule (the defaults then): setups pin both.
RULES = ("parallels", "crossing", "spacing", "non_chord", "range")
NO_VOICE_LEADING = [f"harmonize.voice_leading.{rule}=0" for rule in RULES]
WEAK_SETUPS: dict[str, tuple[str, str | None, list[str]]] = {
    "hot-windowed": ("coconet_hour", "arcnn_small",
                     ["harmonize.steps=96", "harmonize.temperature=0.99", "harmonize.window=64",
                      *NO_VOICE_LEADING, "embellish.temperature=1.0", "ornaments.strength=0.5",
                      "ornaments.suspensions=true"]),
    "no-voice-leading": ("coconet_hour", "arcnn_small", ["harmonize.steps=96", *NO_VOICE_LEADING]),
    "few-steps": ("coconet_hour", None, ["harmonize.steps=16", *NO_VOICE_LEADING]),
    "small-net": ("coconet_small", "arcnn_small", ["harmonize.steps=96", "harmonize.voice_leading.range=0"]),
    "small-net-hot": ("coconet_small", None,
                      ["harmonize.steps=96", "harmonize.temperature=0.99", *NO_VOICE_LEADING]),
}  # fmt: skip


def soprano_of(chorale: Chorale, qpm: float) -> Melody:
    """The chorale's soprano as a tune to harmonise, with its key, meter and pickup."""
    return Melody(
        name=chorale.id,
        pitches=chorale.pitches[0].copy(),
        onsets=chorale.onsets[0].copy(),
        meter=chorale.meter,
        pickup=chorale.pickup,
        qpm=qpm,
        key_tonic=chorale.key_tonic,
        key_mode=chorale.key_mode,
    )


def folk_tunes(count: int, duration: DictConfig) -> list[Melody]:
    """The first `count` tunes of music21's `ryansMammoth` collection, by file name, that compose
    takes as a track of compose's `duration` (singable, and short enough: fiddle tunes often are neither)."""
    tunes = []
    for path in sorted((Path(music21.__file__).parent / "corpus" / "ryansMammoth").glob("*.abc")):
        if len(tunes) == count:
            break
        try:
            tune = place_in_register(load_melody(str(path)))
            plan_form(tune, duration.target_seconds, duration.max_tempo_change)
        except MelodyError:
            continue
        tunes.append(tune)
    return tunes


def tunes_to_harmonise(
    pieces: int, cache_dir: str, qpm: float, duration: DictConfig
) -> list[tuple[Melody, float]]:
    """(tune, target seconds) for each piece: Bach train sopranos and folk tunes, alternated."""
    bach = ChoraleDataModule(cache_dir=cache_dir).chorales("train")
    folk = folk_tunes(pieces // 2, duration)
    sopranos = [(soprano_of(c, qpm), c.num_steps * 15.0 / qpm) for c in bach[: pieces - len(folk)]]
    tunes = [(tune, duration.target_seconds) for tune in folk]
    return [piece for pair in zip(sopranos, tunes, strict=False) for piece in pair] + sopranos[len(tunes) :]


def compose_negatives(out: Path, pieces: int, seed: int, cache_dir: str, qpm: float = 80.0) -> list[dict]:
    """Compose `pieces` negatives into `out`; returns the manifest's entries."""
    names = list(WEAK_SETUPS)
    duration = compose_config().duration  # compose's own: target seconds, tempo freedom
    models: dict[str, object] = {}

    def model(name: str | None):
        if name is not None and name not in models:
            models[name] = load_model(f"{project_root()}/{PRETRAINED}/{name}/weights.pt")
        return models.get(name)

    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for index, (melody, seconds) in enumerate(tunes_to_harmonise(pieces, cache_dir, qpm, duration)):
        setup = names[index % len(names)]
        coconet, arcnn, overrides = WEAK_SETUPS[setup]
        settings = default_stage_settings([*WITHOUT_CRITIC, *overrides])  # drawn without the judge
        if arcnn is None:
            settings["embellishment"] = None
        composition = compose_track(melody, model(coconet), model(arcnn), target_seconds=seconds,
                              max_tempo_change=duration.max_tempo_change, seed=seed + index,
                              **settings)  # fmt: skip
        name = f"{melody.name}-{setup}.mid"
        with atomic_path(out / name) as temporary:
            to_midi(composition.chorale, qpm=composition.plan.qpm).write(str(temporary))
        entries.append({"file": name, "tune": melody.name, "setup": setup, "seed": seed + index})
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--pieces", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache-dir", default=".cache/deepchorale")
    args = parser.parse_args()
    if args.pieces < 1:
        sys.exit(f"compose_negatives: error: --pieces must be at least 1, got {args.pieces}")
    start = time.perf_counter()
    entries = compose_negatives(args.out, args.pieces, args.seed, args.cache_dir)
    write_json(args.out / "manifest.json", {
        "command": " ".join(["python experiments/judge_negatives/compose_negatives.py", *sys.argv[1:]]),
        "setups": {name: dict(zip(("coconet", "arcnn", "overrides"), setup, strict=True))
                   for name, setup in WEAK_SETUPS.items()},
        "pieces": entries,
        "seconds": time.perf_counter() - start,
    })  # fmt: skip
    print(f"{len(entries)} composed negatives in {args.out} ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
