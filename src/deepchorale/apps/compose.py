"""`deepchorale compose`: a melody -> a bundle with MIDI, MusicXML, WAV, FLAC, piano roll, results.

The app only wires: it loads the melody and the weights, composes (`compose.pipeline`), writes the
bundle (`compose.bundle`) and prints. The bundle is assembled in a hidden temporary folder and
renamed into place only when complete, so a failure never leaves a partial bundle behind.
"""

from __future__ import annotations

import functools
import shutil
import time
from pathlib import Path

from omegaconf import DictConfig

from deepchorale.apps.runner import UserInputError, hydra_app
from deepchorale.atomic import write_json
from deepchorale.compose.bundle import bundle_name, describe, render_bundle, slug  # noqa: F401  (slug: its users)
from deepchorale.compose.melody import MelodyError, load_melody
from deepchorale.compose.pipeline import compose
from deepchorale.compose.ranking import candidate_score
from deepchorale.compose.settings import stage_settings
from deepchorale.compose.user_overrides import apply_overrides
from deepchorale.evaluation.judge_scoring import judge_score
from deepchorale.models.weights import WeightsError, load_model


@hydra_app("compose")
def main(cfg: DictConfig, output_dir: Path) -> dict:
    try:
        melody = apply_overrides(load_melody(str(cfg.melody), cfg.melody_track), cfg.key, cfg.qpm)
        coconet = load_model(cfg.models.coconet)
        arcnn = load_model(cfg.models.arcnn) if cfg.embellish.enabled else None
        judge = load_model(cfg.judge) if cfg.judge else None
        composition = compose(
            melody,
            coconet,
            arcnn,
            target_seconds=cfg.duration.target_seconds,
            max_tempo_change=cfg.duration.max_tempo_change,
            seed=cfg.seed,
            rank=functools.partial(candidate_score, judge),
            progress=lambda stage, seconds: print(f"{stage}: {seconds:.1f} s", flush=True),
            **stage_settings(cfg),
        )
    except (MelodyError, WeightsError) as error:
        raise UserInputError(str(error)) from error

    name = bundle_name(cfg.bundle)
    bundle = output_dir / name
    staging = output_dir / f".{name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    start = time.perf_counter()
    try:
        audio = render_bundle(composition, cfg, staging, name)
        composition.seconds["render"] = time.perf_counter() - start
        print(f"render: {composition.seconds['render']:.1f} s", flush=True)
        judged = judge_score(judge, composition.chorale) if judge else None
        results = describe(composition, cfg, audio, judged, bundle, sorted(p.name for p in staging.iterdir()))
        write_json(staging / "results.json", results)
        shutil.rmtree(bundle, ignore_errors=True)
        staging.rename(bundle)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(f"bundle: {bundle}")
    if judge:
        print(f"judge score: {results['judge_score']:.2f} (100 P(Bach); see evaluation/judge/MODEL_CARD.md)")
    return results
