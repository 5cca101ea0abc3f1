"""`deepchorale evaluate inputs=<dir or [files]>`: score pieces against Bach.

Every .mid/.midi/.xml/.musicxml/.mxl file named, or found in a named folder (recursively), is read
into a four-voice `Chorale` and scored by
- the Bach judge: 100 · P(Bach) (`evaluation/judge.py`), null with a note when no weights file;
- DeepComposer's combined score, 50 · P(Bach) + 50 · (1 − KS pitch distance to the Bach test set);
- every metric of `compute_metrics`, originality against an n-gram index of the whole Bach corpus;
and the set as a whole by its distances to the Bach test split (`evaluation/distances.py`), the
Fréchet distance between judge embeddings included.

Output, in the run dir: a table in the terminal, `results.json` (per file: judge, metrics; per set:
scores with bootstrap intervals, distances; failed files with reasons), `results.csv` (one row per
scored file) and an offline W&B run (a table with piano rolls; `logger=none` for none).

Reading rules. MIDI: non-drum tracks with notes, ordered high to low by mean pitch; more than four
keep the top four; fewer fill the soprano downwards but the lowest track is always the bass (a
two-part piece is soprano and bass), the other voices rest. Within a track a later overlapping note
cuts the earlier one. MusicXML: the Soprano/Alto/Tenor/Bass parts by name, else the first four
parts with notes; fewer than four is a failure. Files of other types inside a folder are ignored;
named explicitly, or unreadable, empty or silent, a file is listed under `failed` with the reason
and the rest are scored. No file scored at all is a user error (one line, exit status 2).
"""

from __future__ import annotations

import csv
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pretty_midi
from omegaconf import DictConfig, ListConfig, OmegaConf
from rich.console import Console
from rich.table import Table

from deepchorale.apps.runner import UserInputError, hydra_app
from deepchorale.atomic import atomic_path
from deepchorale.data.cache import load_or_build
from deepchorale.data.chorale import STEPS_PER_QUARTER, VOICES, Chorale, Note, chorale_from_notes
from deepchorale.data.convert import final_bass, from_midi
from deepchorale.data.corpus import SkipPiece, chorale_from_score, satb_parts
from deepchorale.data.key import estimate_key
from deepchorale.data.musicxml import MusicXMLError, read_musicxml
from deepchorale.evaluation.distances import bootstrap_ci, frechet_distance, set_distances
from deepchorale.evaluation.judge import JudgeModule
from deepchorale.evaluation.judge_scoring import judge_embeddings, judge_probabilities, ks_pitch_distance
from deepchorale.evaluation.metrics import NgramIndex, compute_metrics
from deepchorale.evaluation.reference import bach_split, read_reference, reference_values
from deepchorale.models.weights import WeightsError, load_model
from deepchorale.render import pianoroll_image
from deepchorale.tracking import finish_wandb

MIDI_SUFFIXES = {".mid", ".midi"}
MUSICXML_SUFFIXES = {".xml", ".musicxml", ".mxl"}
MUSIC_SUFFIXES = MIDI_SUFFIXES | MUSICXML_SUFFIXES
# Shown in the terminal (under the short header) and the W&B table: one or two per criterion.
KEY_METRICS = {
    "triad_or_seventh_rate": "triads",
    "parallel_fifths": "par. 5ths",
    "voice_crossing_rate": "crossing",
    "scale_consistency": "scale",
    "groove_consistency": "groove",
    "originality/shared_share": "copied",
}


class PieceError(ValueError):
    """This file cannot be scored; the message says why."""


# --- finding and reading the files ---------------------------------------------------------------


def find_files(inputs) -> tuple[dict[str, Path], list[dict]]:
    """({name: music file to read}, [{file, reason}] for named paths missing or of another type).

    A file found in a folder is named by its path inside that folder, a named file as given."""
    named = [inputs] if isinstance(inputs, str | Path) else list(inputs)
    files, failed = {}, []
    for entry in map(Path, named):
        if entry.is_dir():
            found = sorted(p for p in entry.rglob("*") if p.is_file())
            files |= {str(p.relative_to(entry)): p for p in found if p.suffix.lower() in MUSIC_SUFFIXES}
        elif not entry.exists():
            failed.append({"file": str(entry), "reason": "not found"})
        elif entry.suffix.lower() in MUSIC_SUFFIXES:
            files[str(entry)] = entry
        else:
            failed.append({"file": str(entry), "reason": "not a MIDI or MusicXML file"})
    return files, failed


def voice_slots(count: int) -> list[int]:
    """Voices for `count` <= 4 tracks ordered high to low: the top ones down from the soprano, the
    lowest always the bass."""
    return [*range(count - 1), len(VOICES) - 1] if count > 1 else [0]


def read_midi(path: Path) -> Chorale:
    try:
        midi = pretty_midi.PrettyMIDI(str(path))
    except Exception as error:  # pretty_midi/mido raise many unrelated types on bad bytes
        raise PieceError(f"not a readable MIDI file ({type(error).__name__})") from error
    tracks = [t for t in midi.instruments if t.notes and not t.is_drum]
    if not tracks:
        raise PieceError("no pitched notes")
    tracks.sort(key=lambda t: -np.mean([n.pitch for n in t.notes]))
    if len(tracks) >= len(VOICES):
        midi.instruments = tracks[: len(VOICES)]  # from_midi keeps fermatas, pickup and key
        return from_midi(midi, id=path.stem)

    def step(seconds: float) -> int:
        return round(midi.time_to_tick(seconds) * STEPS_PER_QUARTER / midi.resolution)

    notes = [
        Note(voice, step(n.start), max(step(n.end), step(n.start) + 1), n.pitch)
        for voice, track in zip(voice_slots(len(tracks)), tracks)
        for n in track.notes
    ]
    signatures = midi.time_signature_changes
    meter = (signatures[0].numerator, signatures[0].denominator) if signatures else (4, 4)
    chorale = chorale_from_notes(path.stem, notes, meter=meter)
    tonic, mode = estimate_key(chorale.pitches, final_bass=final_bass(chorale.pitches))
    return replace(chorale, key_tonic=tonic, key_mode=mode)


def read_score(path: Path) -> Chorale:
    try:
        score = read_musicxml(path)
    except MusicXMLError as error:
        raise PieceError(str(error)) from error
    try:
        satb_parts(score, keep_instrumental=True)
    except SkipPiece:
        voiced = [p for p in score.parts if p.notes]
        if len(voiced) < len(VOICES):
            raise PieceError(f"{len(voiced)} parts with notes, and no S/A/T/B parts") from None
        # Four unnamed parts are read as S, A, T, B in order.
        score = replace(score, parts=[replace(p, name="") for p in voiced[: len(VOICES)]])
    try:
        chorale, _, _ = chorale_from_score(score, path.stem, str(path))
    except SkipPiece as error:
        raise PieceError(str(error)) from error
    return chorale


def read_piece(path: Path) -> Chorale:
    if path.stat().st_size == 0:
        raise PieceError("empty file")
    try:
        chorale = read_midi(path) if path.suffix.lower() in MIDI_SUFFIXES else read_score(path)
    except (ValueError, IndexError, KeyError) as error:  # a Chorale refusing its notes, odd meters
        raise PieceError(str(error) or type(error).__name__) from error
    if not (chorale.pitches >= 0).any():
        raise PieceError("no notes")
    return chorale


# --- scoring -------------------------------------------------------------------------------------


def load_judge(path: str):
    """(judge or None, note): the judge module, or why there is none."""
    if not Path(path).is_file():
        return None, f"no judge weights at {path}: judge_score and combined_score are null"
    try:
        judge = load_model(path)
    except WeightsError as error:
        raise UserInputError(str(error)) from error
    if not isinstance(judge, JudgeModule):
        raise UserInputError(f"{path} holds a {type(judge).__name__}, not the Bach judge")
    return judge, f"judge weights {path}"


def clean(value):
    """JSON-safe: NaN and infinities become null, numpy scalars floats."""
    if isinstance(value, dict):
        return {key: clean(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


def score_set(cfg: DictConfig, chorales: list[Chorale], names: list[str]) -> tuple[list[dict], dict]:
    if not Path(cfg.reference).is_file():
        raise UserInputError(
            f"no reference statistics at {cfg.reference} (python -m deepchorale.evaluation.reference)"
        )
    reference = read_reference(cfg.reference)
    histogram = np.asarray(reference["pitch_histogram"], float)
    corpus = load_or_build(cfg.paths.cache_dir)
    index = NgramIndex.build(corpus.chorales)
    judge, judge_note = load_judge(cfg.judge)
    window, hop = cfg.judge_window, cfg.judge_hop

    probabilities = judge_probabilities(judge, chorales, window, hop) if judge else [None] * len(chorales)
    pieces = []
    for name, chorale, probability in zip(names, chorales, probabilities):
        ks = ks_pitch_distance(chorale, histogram)
        pieces.append(
            {
                "file": name,
                "steps": chorale.num_steps,
                "key": chorale.key_name,
                "judge_score": None if probability is None else 100.0 * float(probability),
                "combined_score": None
                if probability is None
                else 50.0 * float(probability) + 50.0 * (1 - ks),
                "ks_pitch_distance": ks,
                "metrics": compute_metrics(chorale, index),
            }
        )

    summary: dict = {"pieces": len(pieces), "judge": judge_note, "reference": str(cfg.reference)}
    for key in ("judge_score", "combined_score"):
        values = [p[key] for p in pieces if p[key] is not None]
        interval = bootstrap_ci(values, n=cfg.bootstrap_resamples, seed=cfg.seed) if values else None
        summary[key] = {"mean": float(np.mean(values)) if values else None, "ci95": interval}
    summary["distances"] = set_distances([p["metrics"] for p in pieces], reference_values(reference))
    if judge is not None and len(chorales) >= 2:
        bach = bach_split(reference.get("split", "test"), cfg.paths.cache_dir)
        summary["frechet_judge_distance"] = frechet_distance(
            judge_embeddings(judge, chorales, window, hop), judge_embeddings(judge, bach, window, hop)
        )
    else:
        summary["frechet_judge_distance"] = None
        summary["frechet_note"] = "needs judge weights and at least two pieces"
    return pieces, summary


# --- output --------------------------------------------------------------------------------------


def number(value, digits: int = 3) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def print_table(pieces: list[dict], failed: list[dict], summary: dict) -> None:
    table = Table(title=f"deepchorale evaluate: {len(pieces)} scored, {len(failed)} failed")
    table.add_column("file", overflow="fold", min_width=12)
    for header in ("judge", "comb.", *KEY_METRICS.values()):
        table.add_column(header, justify="right")
    for piece in pieces:
        metrics = piece["metrics"]
        table.add_row(
            piece["file"],
            number(piece["judge_score"], 1),
            number(piece["combined_score"], 1),
            *(number(metrics.get(name)) for name in KEY_METRICS),
        )
    console = Console()
    console.print(table)
    for failure in failed:
        console.print(f"[red]failed[/red] {failure['file']}: {failure['reason']}")
    overlaps = [d["overlap_area"] for d in summary["distances"].values() if math.isfinite(d["overlap_area"])]
    if overlaps:
        console.print(
            f"mean overlapping area with Bach (test split), {len(overlaps)} features: {np.mean(overlaps):.3f}"
        )
    console.print(summary["judge"])


def write_csv(path: Path, pieces: list[dict]) -> None:
    names = list(dict.fromkeys(name for piece in pieces for name in piece["metrics"]))
    columns = ["file", "steps", "key", "judge_score", "combined_score", "ks_pitch_distance", *names]
    with atomic_path(path) as temporary, open(temporary, "w", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        for piece in pieces:
            row = {k: v for k, v in piece.items() if k != "metrics"} | piece["metrics"]
            writer.writerow(
                {k: "" if isinstance(v, float) and not math.isfinite(v) else v for k, v in row.items()}
            )


def log_wandb(cfg: DictConfig, output_dir: Path, pieces, chorales, summary) -> None:
    import wandb

    settings = cfg.logger.wandb
    wandb.init(
        mode="offline",
        dir=str(output_dir),
        project=settings.project,
        name=settings.name,
        group=settings.group,
        tags=list(settings.tags),
        job_type="evaluate",
        config=OmegaConf.to_container(cfg, resolve=True),
    )
    images = [
        wandb.Image(pianoroll_image(c.pitches, p["file"], c.bar_steps), caption=p["file"])
        for p, c in list(zip(pieces, chorales))[: cfg.wandb_images]
    ]
    columns = ["file", "judge_score", "combined_score", *KEY_METRICS, "pianoroll"]
    table = wandb.Table(columns=columns)
    for i, piece in enumerate(pieces):
        table.add_data(
            piece["file"],
            piece["judge_score"],
            piece["combined_score"],
            *(piece["metrics"].get(name) for name in KEY_METRICS),
            images[i] if i < len(images) else None,
        )
    wandb.log({"pieces": table, "pianorolls": images})
    for feature, distance in summary["distances"].items():
        wandb.run.summary[f"overlap_area/{feature}"] = distance["overlap_area"]
        wandb.run.summary[f"kl_divergence/{feature}"] = distance["kl_divergence"]
    for key in ("judge_score", "combined_score"):
        wandb.run.summary[f"{key}_mean"] = summary[key]["mean"]


@hydra_app("evaluate")
def main(cfg: DictConfig, output_dir: Path) -> dict:
    inputs = list(cfg.inputs) if isinstance(cfg.inputs, ListConfig) else cfg.inputs
    files, failed = find_files(inputs)
    chorales, names = [], []
    for name, path in files.items():
        try:
            chorales.append(read_piece(path))
            names.append(name)
        except PieceError as error:
            failed.append({"file": name, "reason": str(error)})
    if not chorales:
        reasons = "; ".join(f"{Path(f['file']).name}: {f['reason']}" for f in failed[:3])
        raise UserInputError(
            f"no file could be scored ({len(failed)} failed{': ' + reasons if reasons else ''})"
        )

    pieces, summary = score_set(cfg, chorales, names)
    print_table(pieces, failed, summary)
    write_csv(output_dir / "results.csv", pieces)
    if cfg.get("logger") and "wandb" in cfg.logger:
        try:
            log_wandb(cfg, output_dir, pieces, chorales, summary)
        finally:
            finish_wandb()
    return clean({"set": summary, "files": pieces, "failed": failed})
