"""The campaign's small results: the study's table and the held-out check, as results.json.

python experiments/compose_search/summarize.py <study dir> <results.json>
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from omegaconf import OmegaConf

SPACE = Path(__file__).resolve().parents[2] / "conf" / "hparams_search" / "compose.yaml"


def held_out(folder: Path) -> dict:
    runs = [json.loads(p.read_text()) for p in sorted(folder.glob("*/results.json"))]
    scores = {run["melody"]: run["judge_score"] for run in runs}
    return {"judge_score": scores, "mean": statistics.mean(scores.values()) if scores else None}


def main() -> None:
    study_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
    study = json.loads((study_dir / "study.json").read_text())
    keep = ("number", "state", "value", "params", "error")
    trials = [{k: t[k] for k in keep} | {"seconds": t["seconds"].get("process")} for t in study["trials"]]
    complete = [t for t in trials if t["state"] == "complete"]
    best = max(complete, key=lambda t: t["value"])
    # The point the space queues first is conf/compose.yaml's own setting (whichever worker ran it).
    queued = OmegaConf.to_container(OmegaConf.load(SPACE).search.enqueue[0])
    (shipped,) = [t for t in trials if t["params"] == queued]
    summary = {
        "objectives": study["objectives"],
        "directions": study["directions"],
        "trials": len(trials),
        "states": {s: sum(t["state"] == s for t in trials) for s in sorted({t["state"] for t in trials})},
        "best": best,
        "shipped": shipped,
        "held_out": {name: held_out(study_dir / "held_out" / name) for name in ("best", "shipped")},
        "table": trials,
    }
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "table"}, indent=2))


if __name__ == "__main__":
    main()
