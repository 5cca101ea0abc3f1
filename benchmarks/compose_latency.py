"""Seconds to compose and render a 60 s track with the shipped models, split by stage.

    .venv/bin/python benchmarks/compose_latency.py [--melody ode_to_joy] [--out ...] [override ...]

Runs the pipeline of `deepchorale compose` with conf/compose.yaml's settings in one process:
plan, harmonize (Coconet, blocked Gibbs), embellish (AR-CNN), ornament, then render (MIDI,
MusicXML and, where MuseScore is installed, its PDF; FluidSynth audio, mastering, piano roll).
Model loading is timed apart. The peer is the same harmonisation with one Gibbs step per block,
timed in the same run: the ratio says how much of the cost is sampling itself rather than fixed
overhead. Overrides are compose's own
(`retain_freed_memory=false`: glibc's default allocator policy instead of the app's).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from hydra import compose as compose_config
from hydra import initialize_config_module

import deepchorale.resolvers  # noqa: F401  (registers ${project_root:})
from deepchorale.compose.critic import Critic
from deepchorale.compose.export import render_files
from deepchorale.compose.melody import load_melody
from deepchorale.compose.pipeline import compose_track
from deepchorale.compose.settings import load_articulator, stage_settings
from deepchorale.host_memory import retain_freed_memory
from deepchorale.models.weights import load_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--melody", default="ode_to_joy")
    parser.add_argument("--out", default="benchmarks/results/compose_latency.json")
    parser.add_argument("overrides", nargs="*", help="compose config overrides, e.g. harmonize.steps=96")
    args = parser.parse_args()
    with initialize_config_module("deepchorale.conf", version_base="1.3"):
        cfg = compose_config("compose", overrides=[f"melody={args.melody}", *args.overrides])
    if cfg.retain_freed_memory:
        retain_freed_memory()  # as the app does (apps/runner.py)

    start = time.perf_counter()
    coconet, arcnn, critic = (load_model(path) for path in (cfg.models.coconet, cfg.models.arcnn, cfg.critic))
    articulator = load_articulator(cfg)
    loading = time.perf_counter() - start
    settings = {
        "target_seconds": cfg.duration.target_seconds,
        "max_tempo_change": cfg.duration.max_tempo_change,
        "seed": cfg.seed,
        "critic": Critic(critic),
        "articulator": articulator,
        **stage_settings(cfg),
    }
    melody = load_melody(args.melody)
    composition = compose_track(melody, coconet, arcnn, **settings)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        render_files(composition, cfg, Path(folder), "bench")
        composition.seconds["render"] = time.perf_counter() - start
    one_step_harmony = replace(settings["harmony"], steps=1, candidates=1)
    one_step_only = {"harmony": one_step_harmony, "revision": None, "embellishment": None}
    one_step = compose_track(melody, coconet, None, **{**settings, **one_step_only})

    total = sum(composition.seconds.values())
    result = {
        "benchmark": "compose_latency",
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()},
        "melody": args.melody,
        "overrides": args.overrides,
        "track_seconds": composition.chorale.num_steps * 15.0 / composition.plan.qpm,
        "model_loading_seconds": loading,
        "stage_seconds": composition.seconds,
        "total_seconds": total,
        "goal_seconds": 15.0,
        "peer": {
            "harmonize_one_gibbs_step_seconds": one_step.seconds["harmonize"],
            "harmonize_vs_one_step": composition.seconds["harmonize"] / one_step.seconds["harmonize"],
            "harmony_candidates": settings["harmony"].candidates,
        },
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
