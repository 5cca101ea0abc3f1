"""DeepComposer's Keras AR-CNN as a worker process beside our benchmark (`train_throughput.py --peer`).

`peer_keras_arcnn.py` runs in its own venv, `.cache/peer-venv`, made on first use from
`peer-requirements.txt` and remade when that file changes; it reads one precision per line on its
stdin and answers each with one JSON line (seconds, CPU seconds, parameter count).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PEER_PRECISIONS = {"fp32": "fp32", "bf16-mixed": "bf16"}  # our names -> the worker's requests
PEER_WORKER = REPO / "benchmarks" / "peer_keras_arcnn.py"
PEER_REQUIREMENTS = REPO / "benchmarks" / "peer-requirements.txt"
PEER_VENV = REPO / ".cache" / "peer-venv"


class PeerError(Exception):
    """The peer could not be set up or run: reported in one line, no traceback."""


def peer_python() -> Path:
    """The peer venv's interpreter, the venv made or remade when the requirements have changed."""
    python = PEER_VENV / "bin" / "python"
    stamp = PEER_VENV / ".requirements-sha256"
    wanted = hashlib.sha256(PEER_REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return python
    steps = []
    if not python.exists():
        steps.append(("creating the peer venv", [sys.executable, "-m", "venv", str(PEER_VENV)]))
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    steps.append((f"pip install -r {PEER_REQUIREMENTS.name}", [*pip, "-r", str(PEER_REQUIREMENTS)]))
    print(f"peer: installing {PEER_REQUIREMENTS.name} into {PEER_VENV} (once)", file=sys.stderr, flush=True)
    for what, command in steps:
        # The venv module and pip can both be missing or fail: either is the peer's failure.
        try:
            done = subprocess.run(command, capture_output=True, text=True)
        except OSError as error:
            raise PeerError(f"{what} failed: {error}") from None
        if done.returncode:
            lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
            errors = [line for line in lines if "error" in line.lower()] or lines
            raise PeerError(f"{what} failed (exit {done.returncode}): {errors[-1] if errors else ''}")
    stamp.write_text(wanted + "\n")
    return python


class Peer:
    """The Keras worker as a child process: one request line in, one JSON line out."""

    def __init__(self, threads: int) -> None:
        python = peer_python()
        # Its stderr (TensorFlow's start-up chatter) goes to a file, read back only if it dies.
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed by close(), with the worker)
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "TF_CPP_MIN_LOG_LEVEL": "2"}
        self.process = subprocess.Popen(
            [str(python), str(PEER_WORKER), "--threads", str(threads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env=env,
        )

    def step(self, precision: str) -> dict:
        """The worker's reply to one precision: one untimed, then one timed train_on_batch."""
        try:
            self.process.stdin.write(PEER_PRECISIONS[precision] + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            pass  # it has died: reported below, with its last words
        for line in self.process.stdout:
            if line.startswith("{"):
                return json.loads(line)
        self.process.wait()
        self.log.seek(0)
        lines = [line for line in self.log.read().splitlines() if line.strip()]
        raise PeerError(
            f"the Keras worker exited (code {self.process.returncode}) on {precision}:"
            f" {lines[-1] if lines else 'no message'}"
        )

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.write("quit\n")
                self.process.stdin.close()
                self.process.wait(timeout=60)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.process.kill()
        self.log.close()
