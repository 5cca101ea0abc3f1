"""`deepchorale <app> --help`, tab completion and a mistyped override answer without loading the
work's heavy modules (seconds each: `benchmarks/startup.py`), so that gain cannot slip away unseen."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deepchorale.apps import APPS

SOURCE = Path(__file__).resolve().parents[2] / "src"
HEAVY = ("torch", "lightning", "music21", "wandb", "optuna", "matplotlib", "sklearn")


def heavy_modules_loaded(argv: list[str], environ: dict[str, str] | None = None) -> list[str]:
    """The heavy modules loaded by the CLI run with `argv`, in a fresh interpreter."""
    script = f"""
import json, sys
from deepchorale.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
print(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))
"""
    env = {**os.environ, "PYTHONPATH": str(SOURCE), **(environ or {})}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("app", list(APPS))
def test_help_loads_no_heavy_module(app):
    assert heavy_modules_loaded([app, "--help"]) == []


def test_a_mistyped_override_loads_no_heavy_module():
    assert heavy_modules_loaded(["compose", "no_such_setting=1"]) == []


def test_tab_completion_loads_no_heavy_module():
    line = "deepchorale compose embellish."
    loaded = heavy_modules_loaded(["-sc", "query=bash"], {"COMP_LINE": line, "COMP_POINT": str(len(line))})
    assert loaded == []
