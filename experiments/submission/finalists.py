"""The campaign's finalists heard by a listener nothing in it optimised: the automated Turing test.

The campaign ranks configurations by the evaluation judge, which saturates near 99 (intervals of
a point or more overlap across most of the study). So the best `--top` configurations of
`deepchorale select`'s ranking, and the shipped setting as the bar, each harmonise the validation
split's sopranos (`benchmarks/turing_test.py --split val`: the test split stays unseen), and
discriminators trained from scratch try to tell each track's two-bar windows from Bach's. The
finalist they tell apart least (mean of the trees' and the CNN's AUC at the last stage) is chosen;
`deepchorale select export=<its first run>` then exports its best track.

    OMP_NUM_THREADS=1 .venv/bin/python experiments/submission/finalists.py [--top 3] [--jobs 2]

Writes `finalists/trial<N>.json` and `.log` (each Turing test's full figures, named after the
configuration's first run), `finalists.json` and `finalists.md` beside this file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from omegaconf import OmegaConf

from deepchorale.atomic import write_json, write_text
from deepchorale.compose.settings import compose_config

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TURING = ROOT / "benchmarks" / "turing_test.py"


def run_overrides(folder: Path) -> list[str]:
    """The compose overrides a campaign run was given (`.hydra/overrides.yaml`; select's label keeps
    only those that set runs apart), without the suite's: the Turing test harmonises sopranos."""
    given = OmegaConf.to_container(OmegaConf.load(folder / ".hydra" / "overrides.yaml"))
    return [o for o in given if not o.startswith(("hydra.", "suite"))]


def is_shipped(overrides: list[str]) -> bool:
    """Whether the overrides give compose's shipped setting (the bar every finalist must clear)."""
    return OmegaConf.to_container(compose_config(overrides)) == OmegaConf.to_container(compose_config())


def finalists(select: Path, top: int) -> list[dict]:
    """select's first `top` configurations, then the shipped setting's wherever it ranked, each
    with the overrides of its first run."""
    configurations = json.loads((select / "configurations.json").read_text())
    leaderboard = json.loads((select / "leaderboard.json").read_text())
    folders = {row["run"]: Path(row["folder"]) for row in leaderboard}
    for configuration in configurations:
        configuration["compose_overrides"] = run_overrides(folders[configuration["first run"]])
    chosen = configurations[:top]
    shipped = [c for c in configurations if is_shipped(c["compose_overrides"])]
    return chosen + [c for c in shipped[:1] if c not in chosen]


def name_of(configuration: dict) -> str:
    shipped = " (shipped)" if is_shipped(configuration["compose_overrides"]) else ""
    return f"config {configuration['config']}, trial {configuration['first run']}{shipped}"


def turing(configuration: dict, chorales: int, out: Path) -> dict:
    """One finalist's Turing test on the validation sopranos, its JSON and log in `out`."""
    result = out / f"trial{configuration['first run']}.json"
    command = [sys.executable, str(TURING), "--split", "val", "--chorales", str(chorales),
               "--out", str(result), *configuration["compose_overrides"]]  # fmt: skip
    with open(result.with_suffix(".log"), "w") as log:
        subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=True)
    return json.loads(result.read_text())


def row(configuration: dict, result: dict) -> dict:
    track = list(result["stages"])[-1]  # the last stage is the track compose writes
    found = result["stages"][track]["discriminators"]
    figures = result["figures"][track]
    return {
        "name": name_of(configuration),
        "run": configuration["first run"],
        "overrides": configuration["compose_overrides"],
        "campaign_judge": [configuration["judge_score mean"], configuration["low"], configuration["high"]],
        "campaign_seconds_per_track": configuration["seconds_per_track"],
        "trees_auc": found["trees"]["auc"], "trees_ci95": found["trees"]["ci95"],
        "cnn_auc": found["cnn"]["auc"], "cnn_ci95": found["cnn"]["ci95"],
        "mean_auc": (found["trees"]["auc"] + found["cnn"]["auc"]) / 2,
        "judge_median": figures["judge_median"], "judge_mean": figures["judge_mean"],
        "parallels": figures["parallels"],
        "register": figures["every_voice_mean_inside_bach_p5_p95"],
        "harmonise_seconds": result["seconds"]["harmonise"],
    }  # fmt: skip


def markdown(rows: list[dict], chorales: int) -> str:
    lines = [
        f"# Finalists: the Turing test on {chorales} validation sopranos (the track)",
        "",
        "| finalist | campaign judge [90 % CI] | s / track | trees AUC [95 % CI] | CNN AUC [95 % CI] "
        "| judge median / mean | parallels | register |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: r["mean_auc"]):
        judge = "{:.2f} [{:.2f}, {:.2f}]".format(*r["campaign_judge"])
        trees = "{:.3f} [{:.2f}, {:.2f}]".format(r["trees_auc"], *r["trees_ci95"])
        cnn = "{:.3f} [{:.2f}, {:.2f}]".format(r["cnn_auc"], *r["cnn_ci95"])
        lines.append(
            f"| {r['name']} | {judge} | {r['campaign_seconds_per_track']:.0f} | {trees} | {cnn} "
            f"| {r['judge_median']:.1f} / {r['judge_mean']:.1f} | {r['parallels']:.4f} "
            f"| {r['register']:.0%} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--select", type=Path, default=HERE / "select", help="select's run folder")
    parser.add_argument("--top", type=int, default=3, help="configurations of select's ranking graded")
    parser.add_argument("--chorales", type=int, default=41, help="validation sopranos (41: all of them)")
    parser.add_argument("--jobs", type=int, default=2, help="Turing tests at once (one thread each)")
    parser.add_argument("--out", type=Path, default=HERE / "finalists")
    args = parser.parse_args()
    chosen = finalists(args.select, args.top)
    args.out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda configuration: turing(configuration, args.chorales, args.out), chosen))
    rows = [row(configuration, result) for configuration, result in zip(chosen, results)]
    winner = min(rows, key=lambda r: r["mean_auc"])
    table = markdown(rows, args.chorales)
    table += f"\nChosen: **{winner['name']}** (`deepchorale select export={winner['run']}`).\n"
    write_json(HERE / "finalists.json", {"chorales": args.chorales, "winner": winner, "finalists": rows})
    write_text(HERE / "finalists.md", table)
    print(table)


if __name__ == "__main__":
    main()
