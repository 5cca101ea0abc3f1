"""`deepchorale compose`: a melody -> a bundle (MIDI, MusicXML, score PDF, WAV, FLAC, piano roll) and the
run's results.json (`compose/pipeline.py` composes, `compose/export.py` renders the bundle).
With `suite=<name>` it composes every melody of the suite with every seed and measures the setting
instead of one draw (`apps/compose_suite.py`)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

from omegaconf import DictConfig

from deepchorale.apps.compose_suite import SuiteError, compose_suite, suite_tunes
from deepchorale.apps.runner import UserInputError, hydra_app
from deepchorale.run_records import BundleNameError, bundle_name

if TYPE_CHECKING:
    from deepchorale.compose.melody import Melody


def report(stage: str, seconds: float) -> None:
    print(f"{stage}: {seconds:.1f} s", flush=True)


def read_melody(cfg: DictConfig) -> tuple[Melody, str | None]:
    """The tune as compose sets it, and a line saying how chorale_pace changed it (None: it did not).
    A tune that at a chorale's pace would outlast the target (and be cut) keeps its note values."""
    from deepchorale.compose.form import plan_form
    from deepchorale.compose.melody import MelodyError, at_chorale_pace, load_melody, with_given_key_and_tempo

    melody = with_given_key_and_tempo(load_melody(str(cfg.melody), cfg.melody_track), cfg.key, cfg.qpm)
    if not cfg.chorale_pace:
        return melody, None
    paced, factor = at_chorale_pace(melody)
    if factor == 1:
        return melody, None
    try:
        whole = plan_form(paced, cfg.duration.target_seconds, cfg.duration.max_tempo_change).num_steps
    except MelodyError:
        whole = 0
    if whole < paced.num_steps:
        return melody, f"the tune's note values as written: at a chorale's pace (x{factor}) it is too long"
    return paced, f"the tune's note values x{factor}: a chorale's pace (chorale_pace=false: as written)"


def load_models(cfg: DictConfig) -> SimpleNamespace:
    from deepchorale.compose.settings import compose_registers, load_articulator, load_harmoniser
    from deepchorale.models.weights import load_model

    return SimpleNamespace(
        harmoniser=load_harmoniser(cfg),
        registers=compose_registers(cfg),
        arcnn=load_model(cfg.models.arcnn, kind="arcnn") if cfg.embellish.enabled else None,
        articulator=load_articulator(cfg),
        critic=load_model(cfg.critic, kind="judge") if cfg.critic else None,
        # The grader is loaded before any work, so a bad file fails fast, but only the bundle uses it.
        judge=load_model(cfg.judge, kind="judge") if cfg.judge else None,
    )


def compose_one(cfg: DictConfig, models: SimpleNamespace, output_dir: Path) -> dict:
    """cfg.melody with cfg.seed as a bundle in `output_dir`; returns its figures."""
    from deepchorale.compose.critic import Critic
    from deepchorale.compose.melody import MelodyError
    from deepchorale.compose.pipeline import compose_track
    from deepchorale.compose.settings import SettingsError, stage_settings

    try:
        melody, pace = read_melody(cfg)
        if pace:
            print(pace)
        composition = compose_track(
            melody,
            models.harmoniser,
            models.arcnn,
            target_seconds=cfg.duration.target_seconds,
            max_tempo_change=cfg.duration.max_tempo_change,
            seed=cfg.seed,
            critic=Critic(models.critic),  # without one: parallels only, and no revision
            articulator=models.articulator,
            progress=report,
            transpose=cfg.transpose,
            registers=models.registers,
            **stage_settings(cfg),
        )
    except (MelodyError, SettingsError) as error:
        raise UserInputError(str(error)) from error
    from deepchorale.compose.export import write_bundle  # music21, matplotlib: not before the first stage

    results = write_bundle(composition, cfg, output_dir, models.judge, models.critic, progress=report)
    results["registers"] = models.registers.source
    print(f"bundle: {results['bundle']}")
    engraving = results["engraving"]
    if "file" in engraving:
        seconds = engraving["seconds"]
        print(f"score: {engraving['file']} (engraved by {engraving['engraver']} in {seconds:.1f} s)")
    else:
        print(f"score: not engraved: {engraving['skipped']}")
    if models.judge:
        grade = results["judge_score"]
        whose = (
            "100 P(Bach), the evaluation judge: evaluation/judge/MODEL_CARD.md"
            if cfg.judge == cfg.paths.judge
            else f"100 P(real) by the judge {cfg.judge}"  # a judge of your own music (README)
        )
        print(f"judge score: {grade:.2f} ({whose})")
    if models.critic:
        print(f"critic score: {results['critic_score']:.2f} (compose's own critic, which picked the draws)")
    return results


@hydra_app("compose")
def main(cfg: DictConfig, output_dir: Path) -> dict:
    if cfg.transpose and cfg.key:
        raise UserInputError(
            f"transpose=true would move the key you gave (key={cfg.key!r}): drop one of them"
        )
    from deepchorale.compose.melody import MelodyError  # the work's modules: see `deepchorale.apps`
    from deepchorale.compose.settings import SettingsError, stage_settings
    from deepchorale.data.registers import bach_registers
    from deepchorale.models.weights import WeightsError

    suite = cfg.get("suite")
    try:
        bundle_name(cfg.bundle.fullname, cfg.bundle.company, cfg.bundle.genre)  # a bad name fails now
        for tune in suite_tunes(cfg) if suite else [cfg]:  # every melody is read before any work
            read_melody(tune)
        stage_settings(cfg)
        models = load_models(cfg)
    except (BundleNameError, MelodyError, WeightsError, SettingsError, SuiteError) as error:
        raise UserInputError(str(error)) from error
    if models.registers != bach_registers():
        print(f"registers: {models.registers.summary()} ({models.registers.source})")
    if suite:
        return compose_suite(cfg, output_dir, lambda tune, folder: compose_one(tune, models, folder))
    return compose_one(cfg, models, output_dir)
