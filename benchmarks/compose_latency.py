"""Seconds to compose and render a 60 s track with the shipped models, split by stage, and what
each stage's seconds buy: its share of the wall time and its convolution FLOPs as a share of the
machine's measured compute peak.

    .venv/bin/python benchmarks/compose_latency.py [--melody ode_to_joy] [--out ...] [override ...]

Runs the pipeline of `deepchorale compose` with conf/compose.yaml's settings in one process:
plan, harmonize (Coconet, blocked Gibbs), embellish (AR-CNN), ornament, then render (MIDI,
MusicXML and, where MuseScore is installed, its PDF; FluidSynth audio, mastering, piano roll).
Model loading is timed apart. Every convolution and linear layer of the loaded models counts its
multiply-adds as it runs (forward hooks), and the peak (`peaks.py`, at the precision compose samples
in) is measured in the same run: a stage near the peak can only get faster by computing less; one
far below it spends its time elsewhere (Python, the prior, rendering). The peer is the same
harmonisation with one Gibbs step per block, timed in the same run: the ratio says how much of the
cost is sampling itself rather than fixed overhead. Last, `deepchorale compose` itself runs once
in a fresh process (`cli_seconds`): the wall time a user waits, start-up and writing the bundle
included. Overrides are compose's own (`retain_freed_memory=false`: glibc's default allocator
policy instead of the app's).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import torch
from hydra import compose as compose_config
from hydra import initialize_config_module
from torch import nn

import deepchorale.resolvers  # noqa: F401  (registers ${project_root:})
from deepchorale.compose.critic import Critic
from deepchorale.compose.export import render_files
from deepchorale.compose.melody import load_melody
from deepchorale.compose.pipeline import compose_track
from deepchorale.compose.settings import load_articulator, stage_settings
from deepchorale.host_memory import retain_freed_memory
from deepchorale.models.weights import load_model
from deepchorale.precision import inference_dtype
from peaks import compute_peak

COUNTED = (nn.Conv1d, nn.Conv2d, nn.Linear)


def count_flops(models: list[nn.Module]) -> dict[str, float]:
    """A running total of the FLOPs (2 per multiply-add) the convolution and linear layers of
    `models` compute, under the key "total", kept up to date by forward hooks."""
    counter = {"total": 0.0}

    def hook(module: nn.Module, inputs, output) -> None:
        if isinstance(module, nn.Linear):
            per_output = module.in_features
        else:
            per_output = module.in_channels // module.groups * module.weight[0, 0].numel()
        counter["total"] += 2.0 * output.numel() * per_output

    for model in models:
        for module in model.modules():
            if isinstance(module, COUNTED):
                module.register_forward_hook(hook)
    return counter


def cli_seconds(melody: str, overrides: list[str]) -> float:
    """Wall seconds of `deepchorale compose` in a fresh process, from spawn to exit."""
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "deepchorale", "compose", f"melody={melody}", *overrides,
                   f"hydra.run.dir={folder}"]  # fmt: skip
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start


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
    flops = count_flops([model for model in (coconet, arcnn, critic, articulator) if model is not None])
    stage_flops: dict[str, float] = defaultdict(float)
    counted = 0.0

    def lap(stage: str, seconds: float) -> None:
        nonlocal counted
        stage_flops[stage] = flops["total"] - counted
        counted = flops["total"]

    settings = {
        "target_seconds": cfg.duration.target_seconds,
        "max_tempo_change": cfg.duration.max_tempo_change,
        "seed": cfg.seed,
        "critic": Critic(critic),
        "articulator": articulator,
        **stage_settings(cfg),
    }
    melody = load_melody(args.melody)
    composition = compose_track(melody, coconet, arcnn, progress=lap, **settings)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        render_files(composition, cfg, Path(folder), "bench")
        composition.seconds["render"] = time.perf_counter() - start
    stage_flops["render"] = 0.0
    one_step_harmony = replace(settings["harmony"], steps=1, candidates=1)
    one_step_only = {"harmony": one_step_harmony, "revision": None, "embellishment": None}
    one_step = compose_track(melody, coconet, None, **{**settings, **one_step_only})
    dtype = inference_dtype(torch.device("cpu"))
    peak = compute_peak(dtype)[0]
    cli = cli_seconds(args.melody, args.overrides)

    total = sum(composition.seconds.values())
    stages = {
        stage: {
            "seconds": seconds,
            "share_of_wall": seconds / total,
            "gflop": stage_flops[stage] / 1e9,
            "share_of_peak": stage_flops[stage] / seconds / peak if seconds > 0 else 0.0,
        }
        for stage, seconds in composition.seconds.items()
    }
    result = {
        "benchmark": "compose_latency",
        "machine": {
            "cpus": os.cpu_count(),
            "threads": torch.get_num_threads(),
            "load_average": os.getloadavg(),
        },
        "melody": args.melody,
        "overrides": args.overrides,
        "track_seconds": composition.chorale.num_steps * 15.0 / composition.plan.qpm,
        "model_loading_seconds": loading,
        "stage_seconds": composition.seconds,
        "total_seconds": total,
        "goal_seconds": 15.0,  # issue "Bach's texture"
        "speed_goal_seconds": 5.0,  # issue "Speed as users feel it": the CLI's wall, start-up included
        "stages": stages,
        "peak_gflops": peak / 1e9,
        "peak_dtype": str(dtype).removeprefix("torch."),
        "model_share_of_peak": sum(stage_flops.values()) / total / peak,
        "cli_seconds": cli,
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
