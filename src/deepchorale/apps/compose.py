"""`deepchorale compose`: a melody -> a bundle (MIDI, MusicXML, score PDF, WAV, FLAC, piano roll) and the
run's results.json (`compose/pipeline.py` composes, `compose/export.py` renders the bundle)."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from deepchorale.apps.runner import UserInputError, hydra_app
from deepchorale.compose.critic import Critic
from deepchorale.compose.export import write_bundle
from deepchorale.compose.melody import MelodyError, at_chorale_pace, load_melody, with_given_key_and_tempo
from deepchorale.compose.pipeline import compose_track
from deepchorale.compose.settings import SettingsError, load_articulator, load_harmoniser, stage_settings
from deepchorale.models.weights import WeightsError, load_model
from deepchorale.run_records import BundleNameError, bundle_name


def report(stage: str, seconds: float) -> None:
    print(f"{stage}: {seconds:.1f} s", flush=True)


@hydra_app("compose")
def main(cfg: DictConfig, output_dir: Path) -> dict:
    if cfg.transpose and cfg.key:
        raise UserInputError(
            f"transpose=true would move the key you gave (key={cfg.key!r}): drop one of them"
        )
    try:
        bundle_name(cfg.bundle.fullname, cfg.bundle.company, cfg.bundle.genre)  # a bad name fails now
        melody = with_given_key_and_tempo(load_melody(str(cfg.melody), cfg.melody_track), cfg.key, cfg.qpm)
        if cfg.chorale_pace:
            melody, factor = at_chorale_pace(melody)
            if factor > 1:
                print(f"the tune's note values x{factor}: a chorale's pace, one harmony per note "
                      "(chorale_pace=false keeps them as written)")  # fmt: skip
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
    results = write_bundle(composition, cfg, output_dir, judge, critic, progress=report)
    print(f"bundle: {results['bundle']}")
    engraving = results["engraving"]
    if "file" in engraving:
        seconds = engraving["seconds"]
        print(f"score: {engraving['file']} (engraved by {engraving['engraver']} in {seconds:.1f} s)")
    else:
        print(f"score: not engraved: {engraving['skipped']}")
    if judge:
        grade = results["judge_score"]
        print(f"judge score: {grade:.2f} (100 P(Bach), the evaluation judge: evaluation/judge/MODEL_CARD.md)")
    if critic:
        print(f"critic score: {results['critic_score']:.2f} (compose's own critic, which picked the draws)")
    return results
