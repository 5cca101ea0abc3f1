"""compose's output: the track's folder (the bundle: MIDI, MusicXML, the score as PDF, WAV, FLAC,
piano roll) and the figures that `results.json`, in the run dir, records about it.

The bundle is assembled in a hidden temporary folder and renamed into place only when complete,
so a failure never leaves a partial bundle behind. Its folder is named
`<fullname>-<company>-<genre>`, as DeepComposer's submissions are.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pretty_midi
from omegaconf import DictConfig, OmegaConf

from deepchorale.atomic import atomic_folder, atomic_path
from deepchorale.compose.melody import Melody
from deepchorale.compose.pipeline import Composition, soprano_line
from deepchorale.compose.tunes import BUILTIN_MELODIES
from deepchorale.data.chorale import STEPS_PER_QUARTER, Chorale
from deepchorale.data.convert import to_midi
from deepchorale.evaluation.metrics import compute_audio_metrics, compute_metrics
from deepchorale.evaluation.metrics.parallel_fifths import parallel_fifths
from deepchorale.evaluation.metrics.parallel_octaves import parallel_octaves
from deepchorale.evaluation.metrics.spacing_violation_rate import spacing_violation_rate
from deepchorale.evaluation.metrics.triad_or_seventh_rate import triad_or_seventh_rate
from deepchorale.evaluation.metrics.voice_crossing_rate import voice_crossing_rate
from deepchorale.judge.scoring import judge_probabilities
from deepchorale.render import (
    EngravingError,
    add_reverb,
    engrave,
    master,
    musescore,
    pianoroll_image,
    synthesize,
    write_audio,
    write_musicxml,
)
from deepchorale.run_records import bundle_name

STAGE_METRICS = {
    "parallel_fifths": parallel_fifths,
    "parallel_octaves": parallel_octaves,
    "triad_or_seventh_rate": triad_or_seventh_rate,
    "voice_crossing_rate": voice_crossing_rate,
    "spacing_violation_rate": spacing_violation_rate,
}


def stage_metrics(chorale: Chorale) -> dict[str, float]:
    """The voice-leading figures that each stage must not spoil (results.json `stage_metrics`)."""
    metrics = {name: metric(chorale) for name, metric in STAGE_METRICS.items()}
    return {"parallels": metrics.pop("parallel_fifths") + metrics.pop("parallel_octaves"), **metrics}


def sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def score_title(melody: Melody) -> str:
    """A built-in tune's own title (without its source), else the melody's name."""
    builtin = BUILTIN_MELODIES.get(melody.name)
    return builtin.title.split(" (")[0] if builtin else melody.name


def render_files(composition: Composition, cfg: DictConfig, folder: Path, name: str) -> dict:
    """Write every file of the bundle into `folder`; returns the audio figures and what became of
    the engraved score."""
    chorale, qpm, render = composition.chorale, composition.plan.qpm, cfg.render
    midi = to_midi(chorale, qpm=qpm, programs=list(render.programs))
    with atomic_path(folder / f"{name}.mid") as temporary:
        midi.write(str(temporary))
    musicxml = write_musicxml(
        chorale,
        folder / f"{name}.musicxml",
        qpm=qpm,
        title=score_title(composition.melody),
        composer=f"{cfg.bundle.fullname} (deepchorale, {cfg.harmoniser})",
        programs=tuple(render.programs),
    )
    with ThreadPoolExecutor(max_workers=1) as engraver:  # MuseScore runs while FluidSynth plays
        engraving = engraver.submit(engrave_score, musicxml)
        audio = render_audio(midi, render, cfg.seed, folder, name)
    with atomic_path(folder / "pianoroll.png") as temporary:
        plt.imsave(temporary, pianoroll_image(chorale.pitches, title=name), format="png")
    return {**audio, "engraving": engraving.result()}


def engrave_score(musicxml: Path) -> dict:
    """The score as PDF beside its MusicXML, when MuseScore is installed; results.json's record of
    it: the file and the seconds it took, or why there is none. A score that MuseScore cannot
    engrave costs the PDF, not the track."""
    program = musescore()
    if program is None:
        return {"skipped": "no MuseScore on PATH (scripts/setup.sh installs Debian's musescore3)"}
    start = time.perf_counter()
    try:
        pdf = engrave(musicxml, musicxml.with_suffix(".pdf"), program)
    except EngravingError as error:
        return {"skipped": str(error)}
    return {"file": pdf.name, "engraver": program, "seconds": time.perf_counter() - start}


def render_audio(midi: pretty_midi.PrettyMIDI, render: DictConfig, seed: int, folder: Path, name: str):
    """The track's WAV and FLAC, mastered; returns their figures."""
    audio = synthesize(midi, render.sample_rate, render.soundfont)
    if render.reverb:
        audio = add_reverb(audio, render.sample_rate, render.reverb_seconds, render.reverb_wet, seed)
    audio, lufs, peak = master(audio, render.sample_rate, render.target_lufs, render.true_peak_ceiling_db)
    write_audio(audio, render.sample_rate, folder / f"{name}.wav")
    write_audio(audio, render.sample_rate, folder / f"{name}.flac")
    return {
        "audio_seconds": len(audio) / render.sample_rate,
        "loudness_lufs": lufs,
        "true_peak_dbtp": peak,
        "audio_metrics": compute_audio_metrics(audio, render.sample_rate),
    }


def write_bundle(
    composition: Composition,
    cfg: DictConfig,
    output_dir: Path,
    judge=None,
    critic=None,
    progress: Callable[[str, float], None] | None = None,
) -> dict:
    """Render `composition` as compose's config `cfg` says into `output_dir/<bundle name>`, graded by
    the evaluation `judge` and scored by compose's `critic` when given (each piece after each stage
    too); returns the figures for the run's results.json. `progress("render", seconds)` is told
    when the files are written."""
    name = bundle_name(cfg.bundle.fullname, cfg.bundle.company, cfg.bundle.genre)
    bundle = output_dir / name
    start = time.perf_counter()
    with atomic_folder(bundle) as staging:
        audio = render_files(composition, cfg, staging, name)
        composition.seconds["render"] = time.perf_counter() - start
        if progress is not None:
            progress("render", composition.seconds["render"])
        pieces = [*composition.stages.values(), composition.chorale]
        scores = {
            key: 100.0 * judge_probabilities(model, pieces)
            for key, model in (("judge_score", judge), ("critic_score", critic))
            if model is not None
        }
        stage_scores = {
            stage: {key: float(values[i]) for key, values in scores.items()}
            for i, stage in enumerate(composition.stages)
        }
        final = {key: float(values[-1]) for key, values in scores.items()}
        files = sorted(p.name for p in staging.iterdir())
        results = describe(composition, cfg, audio, final, stage_scores, bundle, files)
    return results


def describe(
    composition: Composition,
    cfg: DictConfig,
    audio: dict,
    scores: dict[str, float],
    stage_scores: dict[str, dict[str, float]],
    bundle: Path,
    files: list,
) -> dict:
    chorale, plan, melody = composition.chorale, composition.plan, composition.melody
    seconds_per_step = 60.0 / (plan.qpm * STEPS_PER_QUARTER)
    clamped = composition.tune_steps
    tune = soprano_line(plan)[0]
    return {
        "bundle": str(bundle),
        "files": files,
        "melody": melody.name,
        "key": chorale.key_name,
        "meter": f"{chorale.meter[0]}/{chorale.meter[1]}",
        "tune_qpm": melody.qpm,
        "qpm": plan.qpm,
        "duration_seconds": chorale.num_steps * seconds_per_step,
        **audio,
        "sections": [
            {
                "kind": s.kind,
                "steps": len(s.pitches),
                "seconds": len(s.pitches) * seconds_per_step,
                "transposition": s.transposition,
            }
            for s in plan.sections
        ],
        "tune_steps": int(clamped.sum()),
        "soprano_matches_tune": bool(np.array_equal(chorale.pitches[0][clamped], tune[clamped])),
        "seed": cfg.seed,
        "models": {
            kind: {"path": str(path), "sha256": sha256(path)}
            for kind, path in cfg.models.items()
            if kind in cfg.harmoniser.split("+") or (kind == "arcnn" and cfg.embellish.enabled)
        },
        "stage_seconds": composition.seconds,
        "stage_metrics": {  # with the judges, their scores of the piece after each stage too
            stage: {**stage_metrics(piece), **stage_scores.get(stage, {})}
            for stage, piece in composition.stages.items()
        },
        "judge_score": scores.get("judge_score"),  # 100 P(Bach) by the evaluation judge (`judge`)
        "critic_score": scores.get("critic_score"),  # 100 P(Bach) by compose's critic (`critic`)
        "metrics": compute_metrics(chorale),
        "settings": OmegaConf.to_container(cfg, resolve=True),
    }
