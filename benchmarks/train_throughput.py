"""Training throughput: time per step, samples/s and achieved FLOP rate against the compute peak.

    .venv/bin/python benchmarks/train_throughput.py [--quick] [--models arcnn-ref arcnn-small ...]
        [--no-ablations] [--threads N] [--peer [--peer-turns 5]]
        [--out benchmarks/results/train_throughput.json]

One step = forward, loss, backward and Adam update on one real batch, under the precision Lightning
would use (`fp32` = 32-true; `bf16-mixed` = CPU autocast to bfloat16). FLOPs are counted once per
model with `torch.utils.flop_counter.FlopCounterMode` (forward + backward convolutions and matmuls).
The CPUs are shared with other jobs, so wall-clock times drift with their load. Three defences:
the variants of a model are timed in turns, so drift hits them alike, and compared turn by turn
(`time_vs_default`); after every turn the compute peak in the step's dtype (`peaks.py`: the best
of a few matmul and convolution shapes) measures the machine at that moment (`ratio_to_peak`:
median of achieved / that peak); and times are also
taken in process CPU time per thread (`cpu_ms_per_step`), which counts only the time our threads
ran: on a busy machine the closer estimate of the time on an idle one (slightly pessimistic: it
includes threads spinning at barriers while a partner is descheduled).

The rows and their variants are in `train_rows.py`. With ablations (not `--quick`), each model
is also timed without each of its speed-ups and, for `arcnn-ref` and `coconet-32x64`, with
torch.compile; `levers` in the JSON is each lever's speed-up (time without it over time with it,
turn by turn), torch.compile's with its compile time, taken from a cold compile cache, and the
steps it takes to pay for it. The process keeps freed memory as `deepchorale train` does
(`deepchorale.host_memory`); the `system-allocator` variant runs under glibc's own policy, in a
worker process of its own that idles while the others run (`system_allocator_worker.py`).

`--peer` measures DeepComposer's Keras code in the same run instead of quoting its times from another
machine: `peer_keras_arcnn.py` (the reference U-Net in Keras 3 on TensorFlow, the same 31,448,833
trainable parameters) runs as a worker process in its own venv, `.cache/peer-venv`, made on first
use from `peer-requirements.txt` and remade when that file changes. In `--peer-turns` turns, for
each precision, one step of ours (`arcnn-ref` as shipped, one untimed and one timed step) is timed
and then one of the peer's, then a compute peak; the peer idles on its stdin while ours runs, so the
two never share the cores. `peer.<precision>.ours_vs_peer` is the median of the peer's seconds
over the median of ours (above 1: ours is faster), `ratio_per_turn` the same turn by turn. The
goals are those ratios, bf16 at least 1.2, fp32 at least 1.0 (only with `--peer`: a time measured
on another CPU is no goal on this one), and coconet-32x64's bf16 step at 60 % of the bf16 peak.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import sys
import tempfile
import warnings
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from deepchorale.host_memory import retain_freed_memory
from keras_peer import PEER_WORKER, Peer, PeerError, peer_python
from peaks import compute_peak, copy_bandwidth, kernel_rates, timed
from system_allocator_worker import SystemAllocatorWorker
from train_rows import MODELS, build, real_batch, row_variants, train_step

REPO = Path(__file__).resolve().parents[1]
CACHE_DIR = Path(os.environ.get("DEEPCHORALE_CACHE", REPO / ".cache" / "deepchorale"))

PRECISIONS = ("fp32", "bf16-mixed")
# Issue #13: Coconet at compose's size trains at >= 60 % of the bf16 compute peak of the same run.
COCONET_GOAL = ("coconet-32x64", "bf16-mixed", 0.6)
# The peer: DeepComposer's Keras AR-CNN, timed in the same run (--peer). Goals are speed ratios
# to it, ours over the peer's; they hold on any machine, where constant times would not.
PEER_GOALS = {"fp32": 1.0, "bf16-mixed": 1.2}


def measure_peer(peer: Peer, batch, precisions, turns: int, threads: int) -> dict:
    """Ours and the peer one step each, in turns, per precision; ratios of the peer's time to ours."""
    modules, optimizers = {}, {}
    for precision in precisions:
        torch.manual_seed(0)
        modules[precision] = build("arcnn-ref")
        modules[precision].train()
        optimizers[precision] = modules[precision].configure_optimizers()["optimizer"]
    times = {
        p: {"ours_s": [], "ours_cpu_s": [], "peer_s": [], "peer_cpu_s": [], "peaks": []} for p in precisions
    }
    params = {}
    for turn in range(turns):
        for precision in precisions:
            module, optimizer, record = modules[precision], optimizers[precision], times[precision]
            train_step(module, optimizer, batch, precision)  # untimed, as the peer's first step
            seconds, cpu_seconds = timed(train_step, module, optimizer, batch, precision)
            record["ours_s"].append(seconds)
            record["ours_cpu_s"].append(cpu_seconds)
            reply = peer.step(precision)
            record["peer_s"].append(reply["seconds"])
            record["peer_cpu_s"].append(reply["cpu_seconds"])
            params[precision] = reply["params"]
            dtype = torch.bfloat16 if precision == "bf16-mixed" else torch.float32
            record["peaks"].append(compute_peak(dtype))
            print(
                f"peer turn {turn + 1}/{turns} {precision}: ours {record['ours_s'][-1]:.2f} s,"
                f" Keras {record['peer_s'][-1]:.2f} s",
                flush=True,
            )
    ours_params = sum(p.numel() for p in next(iter(modules.values())).parameters())
    result = {"worker": PEER_WORKER.name, "turns": turns, "threads": threads}
    for precision, record in times.items():
        ours, peer_s = statistics.median(record["ours_s"]), statistics.median(record["peer_s"])
        result[precision] = {
            "peer_s": [round(s, 3) for s in record["peer_s"]],
            "ours_s": [round(s, 3) for s in record["ours_s"]],
            "peer_median_s": peer_s,
            "ours_median_s": ours,
            "ours_vs_peer": peer_s / ours,
            "ratio_per_turn": [round(k / o, 3) for k, o in zip(record["peer_s"], record["ours_s"])],
            # Process CPU time per thread, each side's: how far the load stretched its wall time.
            "peer_cpu_s": [round(s, 3) for s in record["peer_cpu_s"]],
            "ours_cpu_s": [round(s, 3) for s in record["ours_cpu_s"]],
            # (wall, CPU time) TFLOP/s of the compute peak measured after each turn.
            "peak_tflops": [[round(v / 1e12, 3) for v in pair] for pair in record["peaks"]],
            "peer_params": params[precision],
            "ours_params": ours_params,
        }
    return result


def count_flops(module, batch) -> int:
    with FlopCounterMode(display=False) as counter:
        module.training_step(batch, 0).backward()
    module.zero_grad(set_to_none=True)
    return counter.get_total_flops()


# Where a step's time goes: torch profiler op names -> the part of the step they are.
TIME_SPLIT = {
    "conv forward": ("mkldnn_convolution",),
    "conv backward": ("convolution_backward",),
    "batch norm": ("batch_norm",),
    "relu": ("relu", "clamp_min", "threshold_backward"),
    "residual add": ("aten::add",),
    "optimizer": ("adam",),
}


def time_split(module, optimizer, batch, precision: str) -> dict[str, float]:
    """Share of one profiled step's self CPU time per part of the step (`TIME_SPLIT`; the rest is
    "other": loss, masks, casts). Shares, not times: the profiler's own overhead stretches the step."""
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profile:
        train_step(module, optimizer, batch, precision)
    parts = dict.fromkeys([*TIME_SPLIT, "other"], 0.0)
    for event in profile.key_averages():
        part = next((p for p, keys in TIME_SPLIT.items() if any(k in event.key for k in keys)), "other")
        parts[part] += event.self_cpu_time_total
    total = sum(parts.values())
    return {part: round(time / total, 3) for part, time in parts.items()}


def measure(modules: dict, batch, precision: str, flops: int, steps: int, warmup: int):
    """Time the modules' steps in turns (A B C A B C ...), so a change of load hits all of them alike.
    A module may be a `SystemAllocatorWorker`: its steps run in its own process."""
    steppers, first_step_s, optimizers = {}, {}, {}
    for name, module in modules.items():
        if isinstance(module, SystemAllocatorWorker):
            steppers[name] = module.step
        else:
            module.train()
            optimizers[name] = module.configure_optimizers()["optimizer"]
            steppers[name] = functools.partial(timed, train_step, module, optimizers[name], batch, precision)
        for _ in range(warmup):
            first_step_s.setdefault(name, steppers[name]()[0])  # a compiled net's includes compiling
    dtype = torch.bfloat16 if precision == "bf16-mixed" else torch.float32
    wall = {name: [] for name in modules}
    cpu = {name: [] for name in modules}
    peaks = []
    for _ in range(steps):
        for name in modules:
            seconds, cpu_seconds = steppers[name]()
            wall[name].append(seconds)
            cpu[name].append(cpu_seconds)
        peaks.append(compute_peak(dtype))
    first = next(iter(modules))
    split = time_split(modules[first], optimizers[first], batch, precision)
    results = {}
    for name in modules:
        median, cpu_median = statistics.median(wall[name]), statistics.median(cpu[name])
        results[name] = {
            "ms_per_step": 1e3 * median,
            "ms_per_step_all": [round(1e3 * s, 1) for s in wall[name]],
            "cpu_ms_per_step": 1e3 * cpu_median,
            "samples_per_s": len(batch["valid"]) / median,
            "achieved_gflops": flops / median / 1e9,
            "achieved_cpu_gflops": flops / cpu_median / 1e9,
            # Each turn's rate over the peak measured right after that turn.
            "ratio_to_peak": statistics.median(flops / w / p[0] for w, p in zip(wall[name], peaks)),
            "cpu_ratio_to_peak": statistics.median(flops / c / p[1] for c, p in zip(cpu[name], peaks)),
            # Time over the first module's time in the same turn: the robust comparison.
            "time_vs_default": statistics.median(w / d for w, d in zip(wall[name], wall[first])),
            "cpu_time_vs_default": statistics.median(c / d for c, d in zip(cpu[name], cpu[first])),
            # The first warm-up step over the default's: for a compiled net, its compilation.
            "first_step_extra_s": first_step_s[name] - first_step_s[first] if first_step_s else None,
            "time_split": split if name == first else None,
        }
    return results


def levers(rows: list[dict]) -> dict:
    """Each lever's speed-up on each model and precision: the time without it over the time with it,
    turn by turn (`time_vs_default`); torch.compile's with its compile time and break-even step."""
    table = {}
    for row in rows:
        if row["variant"] == "default":
            continue
        entry = table.setdefault(row["model"], {}).setdefault(row["precision"], {})
        if row["variant"] == "compiled":
            saved_s = row["ms_per_step"] / row["time_vs_default"] / 1e3 - row["ms_per_step"] / 1e3
            compile_s = row["first_step_extra_s"]
            entry["torch_compile"] = {
                "speedup": round(1 / row["time_vs_default"], 3),
                "compile_s": round(compile_s, 1),
                # Steps before the compiled net has paid for its compilation (None: it never does).
                "break_even_steps": round(compile_s / saved_s) if saved_s > 0 else None,
            }
        else:
            speedup = round(row["time_vs_default"], 3)
            entry[row["variant"]] = {"takes_away": row["without"], "speedup": speedup}
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="benchmarks/results/train_throughput.json")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--precisions", nargs="+", default=list(PRECISIONS), choices=PRECISIONS)
    parser.add_argument("--steps", type=int, default=3, help="timed turns per row (median reported)")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="2 timed turns, no ablations")
    parser.add_argument("--no-ablations", dest="ablations", action="store_false")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--peer", action="store_true", help="time DeepComposer's Keras AR-CNN alongside")
    parser.add_argument("--peer-turns", type=int, default=5, help="turns of ours vs the peer (with --peer)")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.ablations = 2, False
    torch.set_num_threads(args.threads)
    # A cold compile cache, so a compiled row's compile time is what a new machine pays.
    inductor_cache = tempfile.TemporaryDirectory(prefix="train_throughput-inductor-")
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = inductor_cache.name
    # As `deepchorale train` does (conf/train.yaml: retain_freed_memory).
    allocator = "retained" if retain_freed_memory() else "system (not glibc)"
    if args.peer:
        # Its venv first: a failed install should end the run before minutes of rows, not after.
        try:
            peer_python()
        except PeerError as error:
            print(f"train_throughput: peer failed: {error}", file=sys.stderr)
            sys.exit(1)
    warnings.filterwarnings("ignore", message=".*self.log.*")  # no Trainer: logging is a no-op

    peaks = {"fp32": [compute_peak(torch.float32)], "bf16-mixed": [compute_peak(torch.bfloat16)]}
    rows, notes = [], []
    for name in args.models:
        spec = MODELS[name]
        batch = real_batch(spec["batch"], spec["steps"])
        flops = count_flops(build(name), batch)
        for precision in args.precisions:
            variants = {"default": ()}
            if args.ablations:
                variants = row_variants(name, precision)
            modules = {}
            for variant, without in variants.items():
                if "retained_memory" in without:  # seeds its own build, in its own process
                    modules[variant] = SystemAllocatorWorker(name, precision, without, args.threads)
                else:
                    torch.manual_seed(0)
                    modules[variant] = build(name, without, compiled=variant == "compiled")
            results = measure(modules, batch, precision, flops, args.steps, args.warmup)
            for module in modules.values():
                if isinstance(module, SystemAllocatorWorker):
                    module.close()
            del modules
            for variant, result in results.items():
                row = {
                    "model": name,
                    "precision": precision,
                    "variant": variant,
                    "without": list(variants[variant]),
                }
                rows.append({**row, **spec, "gflop_per_step": flops / 1e9, **result})
                r = result
                print(
                    f"{name} {precision} {variant}: {r['ms_per_step']:.0f} ms/step"
                    f" ({r['ratio_to_peak']:.0%} of peak), CPU {r['cpu_ms_per_step']:.0f} ms"
                    f" ({r['cpu_ratio_to_peak']:.0%} of peak),"
                    f" {r['cpu_time_vs_default']:.2f} x default",
                    flush=True,
                )
    goals = {}
    for row in rows:
        if (row["model"], row["precision"], row["variant"]) == (*COCONET_GOAL[:2], "default"):
            share = row["ratio_to_peak"]
            goals[f"{row['model']} {row['precision']} ratio_to_peak"] = {
                "goal": COCONET_GOAL[2],
                "measured": round(share, 3),
                "met": share >= COCONET_GOAL[2],
            }
    peaks["fp32"].append(compute_peak(torch.float32))
    peaks["bf16-mixed"].append(compute_peak(torch.bfloat16))

    peer_result = None
    if args.peer:
        # Started after the rows, so TensorFlow's memory and threads are not there while they run.
        peer = None
        try:
            peer = Peer(args.threads)
            spec = MODELS["arcnn-ref"]
            batch = real_batch(spec["batch"], spec["steps"])
            peer_result = measure_peer(peer, batch, args.precisions, args.peer_turns, args.threads)
        except PeerError as error:
            print(f"train_throughput: peer failed: {error}", file=sys.stderr)
            sys.exit(1)
        finally:
            if peer is not None:
                peer.close()
        for precision in args.precisions:
            measured = peer_result[precision]["ours_vs_peer"]
            goals[f"arcnn-ref {precision} ours_vs_peer"] = {
                "goal": PEER_GOALS[precision],
                "measured": round(measured, 3),
                "met": measured >= PEER_GOALS[precision],
            }
    else:
        notes.append("no Keras goals: they are speed ratios to the peer, measured only with --peer")
    result = {
        "benchmark": "train_throughput",
        "machine": {
            "cpus": os.cpu_count(),
            "threads": torch.get_num_threads(),
            "processor": platform.processor() or platform.machine(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "torch": torch.__version__,
            "allocator": allocator,
        },
        # Before and after all rows, each (wall, CPU time): the machine's load shows in the gap.
        "peak_tflops": {
            p: [[round(v / 1e12, 3) for v in pair] for pair in pairs] for p, pairs in peaks.items()
        },
        # Each kernel the peak is the best of, at the end (wall TFLOP/s): which shape set it.
        "peak_kernels_tflops": {
            p: {name: round(rate[0] / 1e12, 3) for name, rate in kernel_rates(dtype).items()}
            for p, dtype in (("fp32", torch.float32), ("bf16-mixed", torch.bfloat16))
        },
        # A 1 GiB copy, read + written, at the end: what memory-bound passes stream at, at best.
        "copy_bandwidth_gb_s": round(copy_bandwidth() / 1e9, 1),
        "steps": args.steps,
        "warmup": args.warmup,
        "rows": rows,
        "levers": levers(rows),
        "peer": peer_result,
        "goals": goals,
        "notes": notes,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(
        json.dumps(
            {"peak_tflops": result["peak_tflops"], "goals": goals, "notes": notes},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
