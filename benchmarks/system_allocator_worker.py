"""A benchmark row's training step in a child process under glibc's own allocator policy: the
`system-allocator` and `plain` variants of `train_throughput.py`.

    .venv/bin/python benchmarks/system_allocator_worker.py MODEL PRECISION --threads N [--without ...]
    (stdin: `step` or `quit`, one per line; stdout: one JSON line per step)

`deepchorale train` keeps freed memory (`deepchorale.host_memory`), and so does the benchmark's own
process. glibc's policy cannot be restored in a process once set, and a heap grown under the other
policy keeps serving blocks without page faults, so a variant without the lever runs here, in a
fresh process that never sets it. It idles on its stdin while the parent times its own variants,
so the two never share the cores: the same turns as in-process variants, as `keras_peer.py`'s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import warnings
from pathlib import Path

WORKER = Path(__file__).resolve()


class SystemAllocatorWorker:
    """The parent's handle: `step()` -> (wall seconds, CPU seconds per thread) of one step there."""

    def __init__(self, name: str, precision: str, without: tuple[str, ...], threads: int) -> None:
        command = [sys.executable, str(WORKER), name, precision, "--threads", str(threads)]
        command += ["--without", *without]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"system-allocator worker for {name} {precision} did not start")

    def step(self) -> tuple[float, float]:
        self.process.stdin.write("step\n")
        self.process.stdin.flush()
        reply = json.loads(self.process.stdout.readline())
        return reply["seconds"], reply["cpu_seconds"]

    def close(self) -> None:
        self.process.stdin.write("quit\n")
        self.process.stdin.close()
        self.process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("precision")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--without", nargs="*", default=[], help="speed-ups taken away (train_rows.py)")
    args = parser.parse_args()
    import torch

    from peaks import timed
    from train_rows import MODELS, build, real_batch, train_step

    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", message=".*self.log.*")
    spec = MODELS[args.model]
    batch = real_batch(spec["batch"], spec["steps"])
    torch.manual_seed(0)
    module = build(args.model, tuple(args.without))
    module.train()
    optimizer = module.configure_optimizers()["optimizer"]
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "step":
            break
        seconds, cpu_seconds = timed(train_step, module, optimizer, batch, args.precision)
        print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds}), flush=True)


if __name__ == "__main__":
    main()
