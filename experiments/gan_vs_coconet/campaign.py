"""GAN, GAN + Coconet, Coconet and AR-CNN as harmonisers, on the same melodies and seeds.

    .venv/bin/python experiments/gan_vs_coconet/campaign.py [--pieces 12] [--seeds 2]

The melodies are the sopranos of the first `--pieces` chorales of the Bach test split (Bach's own
lower voices are the peer row). Each harmoniser writes alto, tenor and bass under the whole
soprano through compose's own `harmonize`, at the CLI's settings (`default_stage_settings`) with
one candidate (the judge re-ranks candidates in compose; here it is the scorer, so it must not
choose), from the shipped weights `conf/compose.yaml` names. The AR-CNN is used as DeepComposer
uses it on a melody: its resampler adds one pixel per iteration, so it gets as many iterations as
the lower voices have cells, adding only, at its own temperature. No embellishment or ornaments:
this compares the generators, not the pipeline.

Every set is scored by the evaluation suite (`evaluation.set_scoring.score_set`): the judge's
100 P(Bach), parallels and triad share, and the Fréchet distance between the judge's embeddings of
the set and of the Bach test split. Writes `results.json` and `table.md` (quoted in README.md)
to `--out`.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from hydra import compose, initialize_config_module

from deepchorale.compose.harmonize import harmonize
from deepchorale.compose.settings import compose_config, default_stage_settings, load_harmoniser
from deepchorale.data.chorale import Chorale, chorale_from_pitches
from deepchorale.data.datamodule import ChoraleDataModule
from deepchorale.evaluation.set_scoring import score_set
from deepchorale.models.weights import load_model
from deepchorale.sampling.arcnn_resample import ResampleSettings

HERE = Path(__file__).parent
# row -> compose overrides picking the harmoniser (None: the AR-CNN, which compose only embellishes with)
HARMONISERS = {
    "coconet": ["harmoniser=coconet"],
    "gan": ["harmoniser=gan"],
    "gan+coconet": ["harmoniser=gan+coconet"],
    "gan+coconet, first block 0.9": ["harmoniser=gan+coconet", "refine.pmax=0.9"],  # Yao's, as from scratch
    "arcnn": None,
}
REPORTED = ("parallel_fifths", "parallel_octaves", "triad_or_seventh_rate", "voice_crossing_rate",
            "spacing_violation_rate")  # fmt: skip


def harmoniser_and_settings(overrides: list[str] | None):
    """(model, harmony settings, sampler) for `harmonize`, at the CLI's values with one candidate."""
    if overrides is None:
        return load_model(compose_config().models.arcnn), None, None
    stages = default_stage_settings([*overrides, "harmonize.candidates=1"])
    return load_harmoniser(compose_config(overrides)), stages["harmony"], stages["sampler"]


def arcnn_accompaniment(model, chorale: Chorale, seed: int) -> np.ndarray:
    pitches = torch.from_numpy(chorale.pitches.astype(np.int64))[None]
    mask = torch.zeros_like(pitches, dtype=torch.bool)
    mask[:, 1:] = True
    cells = 3 * chorale.num_steps
    settings = ResampleSettings(
        max_notes_to_add=cells,
        max_remove_fraction=0.0,
        iterations=cells,
        temperature=model.hparams.temperature,
    )
    return model.infill(pitches, mask, settings, torch.Generator().manual_seed(seed))[0].numpy()


def accompany(name: str, model, harmony, sampler, chorale: Chorale, seed: int) -> Chorale:
    if harmony is None:
        written = arcnn_accompaniment(model, chorale, seed)
    else:
        generator = torch.Generator(device=model.device).manual_seed(seed)
        written = harmonize(
            model,
            chorale.pitches[0],
            harmony,
            final_tonic=chorale.key_tonic,
            generator=generator,
            sampler=sampler,
        )
    return chorale_from_pitches(
        f"{chorale.id}-{name.split(',')[0]}-seed{seed}",
        written,
        meter=chorale.meter,
        key_tonic=chorale.key_tonic,
        key_mode=chorale.key_mode,
        pickup=chorale.pickup,
    )


def summarise(pieces: list[dict], summary: dict) -> dict:
    judged = [p["judge_score"] for p in pieces]
    return {
        "pieces": len(pieces),
        "judge_score_median": float(np.median(judged)),
        "judge_score_mean": summary["judge_score"]["mean"],
        "judge_score_ci95": summary["judge_score"]["ci95"],
        "frechet_judge_distance": summary["frechet_judge_distance"],
        **{name: float(np.nanmean([p["metrics"][name] for p in pieces])) for name in REPORTED},
    }


def table(rows: dict[str, dict]) -> str:
    lines = [
        "| harmoniser | judge median | judge mean (95% CI) | Fréchet (judge emb.) | parallel 5ths | "
        "parallel 8ves | triad/7th share | s/piece |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        low, high = row["judge_score_ci95"]
        seconds = f"{row['seconds_per_piece']:.2f}" if "seconds_per_piece" in row else "–"
        lines.append(
            f"| {name} | {row['judge_score_median']:.1f} "
            f"| {row['judge_score_mean']:.1f} ({low:.1f}–{high:.1f}) | {row['frechet_judge_distance']:.1f} "
            f"| {row['parallel_fifths']:.3f} | {row['parallel_octaves']:.3f} "
            f"| {row['triad_or_seventh_rate']:.3f} | {seconds} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pieces", type=int, default=12, help="test chorales whose sopranos are the melodies"
    )
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    cache_dir = os.environ.get("DEEPCHORALE_CACHE", ".cache/deepchorale")
    with initialize_config_module("deepchorale.conf", version_base="1.3"):
        evaluation = compose("evaluate")  # `deepchorale evaluate`'s judge, windows and reference
    bach = ChoraleDataModule(cache_dir=cache_dir).chorales("test")[: args.pieces]

    def scored(chorales: list[Chorale]) -> dict:
        pieces, summary = score_set(
            chorales,
            [c.id for c in chorales],
            reference=evaluation.reference,
            judge=evaluation.judge,
            critic=evaluation.critic,
            cache_dir=cache_dir,
            window=evaluation.judge_window,
            hop=evaluation.judge_hop,
            bootstrap_resamples=evaluation.bootstrap_resamples,
            seed=evaluation.seed,
        )
        return summarise(pieces, summary)

    rows, settings = {"Bach (the test split's own voices)": scored(bach)}, {}
    for name, overrides in HARMONISERS.items():
        model, harmony, sampler = harmoniser_and_settings(overrides)
        settings[name] = repr(sampler or harmony)
        start = time.perf_counter()
        pieces = [
            accompany(name, model, harmony, sampler, c, seed) for c in bach for seed in range(args.seeds)
        ]
        seconds = (time.perf_counter() - start) / len(pieces)
        rows[name] = {**scored(pieces), "seconds_per_piece": seconds}
        print(name, json.dumps(rows[name]), flush=True)
    result = {
        "campaign": "gan_vs_coconet",
        "command": "python experiments/gan_vs_coconet/campaign.py "
        f"--pieces {args.pieces} --seeds {args.seeds}",
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()},
        "melodies": [c.id for c in bach],
        "seeds": args.seeds,
        "settings": settings,  # the AR-CNN's: arcnn_accompaniment's
        "rows": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "table.md").write_text(table(rows))
    print(table(rows))


if __name__ == "__main__":
    main()
