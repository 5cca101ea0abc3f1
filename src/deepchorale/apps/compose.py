"""`deepchorale compose`: a melody -> a bundle (MIDI, MusicXML, WAV, FLAC, piano roll) and the
run's results.json (`compose/pipeline.py` composes, `compose/export.py` renders the bundle)."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from deepchorale.apps.runner import UserInputError, hydra_app
from deepchorale.run_records import BundleNameError, bundle_name


def report(stage: str, seconds: float) -> None:
    print(f"{stage}: {seconds:.1f} s", flush=True)


@hydra_app("compose")
def main(cfg: DictConfig, output_dir: Path) -> dict:
    if cfg.transpose and cfg.key:
        raise UserInputError(
            f"transpose=true would move the key you gave (key={cfg.key!r}): drop one of them"
        )
    from deepchorale.compose.critic import Critic  # the work's modules: see `deepchorale.apps`
    from deepchorale.compose.melody import MelodyError, load_melody, with_given_key_and_tempo
    from deepchorale.compose.pipeline import compose_track
    from deepchorale.compose.settings import SettingsError, load_articulator, load_harmoniser, stage_settings
    from deepchorale.models.weights import WeightsError, load_model

    try:
        bundle_name(
            cfg.bundle.fullname, cfg.bundle.company, cfg.bundle.genre
        )  # a name too long fails now, not after
        melody = with_given_key_and_tempo(load_melody(str(cfg.melody), cfg.melody_track), cfg.key, cfg.qpm)
        settings = stage_settings(cfg)
        harmoniser = load_harmoniser(cfg)
        arcnn = load_model(cfg.models.arcnn, kind="arcnn") if cfg.embellish.enabled else None
        articulator = load_articulator(cfg)
        critic = load_model(cfg.critic, kind="judge") if cfg.critic else None
        # The grader is loaded before any work, so a bad file fails fast, but only the bundle uses it.
        judge = load_model(cfg.judge, kind="judge") if cfg.judge else None
        composition = compose_track(
            melody,
            harmoniser,
            arcnn,
            target_seconds=cfg.duration.target_seconds,
            max_tempo_change=cfg.duration.max_tempo_change,
            seed=cfg.seed,
            critic=Critic(critic),  # without one: parallels only, and no revision
            articulator=articulator,
            progress=report,
            transpose=cfg.transpose,
            **settings,
        )
    except (BundleNameError, MelodyError, WeightsError, SettingsError) as error:
        raise UserInputError(str(error)) from error
    from deepchorale.compose.export import write_bundle  # music21, matplotlib: not before the first stage

    results = write_bundle(composition, cfg, output_dir, judge, critic, progress=report)
    print(f"bundle: {results['bundle']}")
    if judge:
        grade = results["judge_score"]
        print(f"judge score: {grade:.2f} (100 P(Bach), the evaluation judge: evaluation/judge/MODEL_CARD.md)")
    if critic:
        print(f"critic score: {results['critic_score']:.2f} (compose's own critic, which picked the draws)")
    return results
