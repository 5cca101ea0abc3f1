"""`deepchorale evaluate inputs=<dir or [files]>`: score pieces against Bach;
`deepchorale evaluate mode=turing`: the automated Turing test of compose against Bach.

Every score file named, or found in a named folder (recursively), is read into a four-voice
`Chorale` (`data/scores.py`) and scored by the evaluation judge (compose's critic beside it),
DeepComposer's combined score and every metric, and the set as a whole by its distances to the Bach
test split (`evaluation/set_scoring.py`).

Output, in the run dir: a table in the terminal, `results.json` (per file: judge, metrics; per set:
scores with bootstrap intervals, distances; failed files with reasons), `results.csv` (one row per
scored file), and the set's scores to the loggers of `conf/logger/` (`evaluation/set_report.py`;
built without Lightning, `evaluation/run_loggers.py`): by default an offline W&B run with a table of
piano rolls; `logger=none` for none.

Reading rules (`scores.voices_of`): a notated score's Soprano/Alto/Tenor/Bass parts by name;
otherwise, and always for MIDI, the parts with notes high to low by mean pitch: of more than four
the highest, the lowest and the two busiest others; fewer fill the soprano downwards but the lowest
is always the bass (a two-part piece is soprano and bass), the other voices rest. Files of other
types inside a folder are ignored; named explicitly, or unreadable, empty or silent, a file is
listed under `failed` with the reason and the rest are scored. No file scored at all is a user error
(one line, exit status 2).

mode=turing (settings under `turing` in `conf/evaluate.yaml`): the test split's sopranos (the
first `turing.chorales`) harmonised by compose at its shipped settings, or `turing.compose`'s
overrides, each stage's output kept (`compose/bach_sopranos.py`); then per stage, and for a
Bach-against-Bach control, discriminators trained from scratch try to tell its 2-bar windows from
Bach's (`evaluation/turing_test.py`). Output: a table in the terminal, `results.json` (AUC with a
95% interval per stage and discriminator, the control, the most telling features), and the
figures to the loggers (W&B: tables too). Lives here, not in `evaluation`: it runs compose.
"""

from __future__ import annotations

from pathlib import Path

from hydra.errors import HydraException
from hydra.utils import instantiate
from omegaconf import DictConfig, ListConfig, OmegaConf

from deepchorale.apps.runner import UserInputError, hydra_app

MODES = ("files", "turing")
MIN_TURING_CHORALES = 4  # the control pairs chorales, and cross-validation needs two pairs


@hydra_app("evaluate")
def main(cfg: DictConfig, output_dir: Path) -> dict:
    if cfg.mode not in MODES:
        raise UserInputError(f"mode {cfg.mode!r} is not one of {', '.join(MODES)}")
    if cfg.mode == "turing":
        return turing(cfg)
    from deepchorale.evaluation.set_report import log_results, print_table, write_csv
    from deepchorale.evaluation.set_scoring import (  # the work's modules: see `deepchorale.apps`
        EvaluationSetupError,
        clean,
        find_files,
        read_pieces,
        score_set,
    )

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
    log_results(loggers(cfg), config, pieces, chorales, summary, images=cfg.wandb_images)
    return clean({"set": summary, "files": pieces, "failed": failed})


def loggers(cfg: DictConfig) -> list:
    """conf/logger/'s loggers, without Lightning (`evaluation/run_loggers.py`)."""
    from deepchorale.evaluation.run_loggers import LoggerConfigError, build_loggers

    try:
        return build_loggers(cfg.get("logger"))
    except LoggerConfigError as error:
        raise UserInputError(str(error)) from error


def turing(cfg: DictConfig) -> dict:
    """The automated Turing test (mode=turing); bad settings end in one line, before any work."""
    from deepchorale.compose.bach_sopranos import harmonise_sopranos
    from deepchorale.compose.settings import SettingsError, compose_config
    from deepchorale.evaluation.reference import bach_split
    from deepchorale.evaluation.set_scoring import clean
    from deepchorale.evaluation.turing_report import log_report, print_report
    from deepchorale.evaluation.turing_test import turing_report
    from deepchorale.models.weights import WeightsError

    settings = instantiate(cfg.turing.discriminators)  # a refused value is the user's error
    bach = bach_split("test", cfg.paths.cache_dir)
    count = len(bach) if cfg.turing.chorales is None else cfg.turing.chorales
    if not isinstance(count, int) or not MIN_TURING_CHORALES <= count <= len(bach):
        raise UserInputError(
            f"turing.chorales {count} must be in {MIN_TURING_CHORALES}-{len(bach)} (the test split)"
        )
    seeds = list(cfg.turing.seeds)
    if not seeds or not all(isinstance(seed, int) for seed in seeds):
        raise UserInputError(f"turing.seeds {seeds} must be a non-empty list of integers")
    try:
        compose_cfg = compose_config(list(cfg.turing.compose))
        stages, seconds = harmonise_sopranos(
            bach[:count], compose_cfg, seeds, progress=lambda line: print(line, flush=True)
        )
    except (HydraException, SettingsError, WeightsError) as error:
        reason = " ".join(str(error).split())  # Hydra's messages run over lines: one line here
        raise UserInputError(f"turing.compose: {reason}") from error
    report = turing_report(bach[:count], stages, settings, control=bach)  # the control: all of them
    report |= {"chorales": [c.id for c in bach[:count]], "seeds": seeds, "compose": list(cfg.turing.compose),
               "seconds": seconds}  # fmt: skip
    print_report(report)
    log_report(loggers(cfg), OmegaConf.to_container(cfg, resolve=True), report)
    return clean(report)
