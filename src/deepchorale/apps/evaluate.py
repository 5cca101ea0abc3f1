"""`deepchorale evaluate inputs=<dir or [files]>`: score pieces against Bach.

Every score file named, or found in a named folder (recursively), is read into a four-voice
`Chorale` (`data/scores.py`) and scored by the Bach judge, DeepComposer's combined score and every
metric, and the set as a whole by its distances to the Bach test split
(`evaluation/set_scoring.py`).

Output, in the run dir: a table in the terminal, `results.json` (per file: judge, metrics; per set:
scores with bootstrap intervals, distances; failed files with reasons), `results.csv` (one row per
scored file), and the set's scores to the loggers of `conf/logger/` (`evaluation/set_report.py`):
by default an offline W&B run with a table of piano rolls; `logger=none` for none.

Reading rules (`scores.voices_of`): a notated score's Soprano/Alto/Tenor/Bass parts by name;
otherwise, and always for MIDI, the parts with notes high to low by mean pitch: of more than four
the highest, the lowest and the two busiest others; fewer fill the soprano downwards but the lowest
is always the bass (a two-part piece is soprano and bass), the other voices rest. Files of other
types inside a folder are ignored; named explicitly, or unreadable, empty or silent, a file is
listed under `failed` with the reason and the rest are scored. No file scored at all is a user error
(one line, exit status 2).
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig, ListConfig, OmegaConf

from deepchorale.apps.runner import UserInputError, hydra_app, instantiate_all
from deepchorale.evaluation.set_report import log_results, print_table, write_csv
from deepchorale.evaluation.set_scoring import EvaluationSetupError, clean, find_files, read_pieces, score_set


@hydra_app("evaluate")
def main(cfg: DictConfig, output_dir: Path) -> dict:
    inputs = list(cfg.inputs) if isinstance(cfg.inputs, ListConfig) else cfg.inputs
    names, chorales, failed = read_pieces(find_files(inputs))
    if not chorales:
        reasons = "; ".join(f"{Path(f['file']).name}: {f['reason']}" for f in failed[:3])
        raise UserInputError(
            f"no file could be scored ({len(failed)} failed{': ' + reasons if reasons else ''})"
        )
    try:
        pieces, summary = score_set(
            chorales,
            names,
            reference=cfg.reference,
            judge=cfg.judge,
            critic=cfg.critic,
            cache_dir=cfg.paths.cache_dir,
            window=cfg.judge_window,
            hop=cfg.judge_hop,
            bootstrap_resamples=cfg.bootstrap_resamples,
            seed=cfg.seed,
        )
    except EvaluationSetupError as error:
        raise UserInputError(str(error)) from error

    print_table(pieces, failed, summary)
    write_csv(output_dir / "results.csv", pieces)
    config = OmegaConf.to_container(cfg, resolve=True)
    log_results(
        instantiate_all(cfg.get("logger")), config, pieces, chorales, summary, images=cfg.wandb_images
    )
    return clean({"set": summary, "files": pieces, "failed": failed})
