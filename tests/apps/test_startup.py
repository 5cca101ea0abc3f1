"""What the CLI loads, so the gains cannot slip away unseen: `deepchorale <app> --help`, tab
completion and a mistyped override answer without the work's heavy modules (seconds each:
`benchmarks/startup.py`), inference (compose, evaluate) never loads Lightning, and loading a model
never loads PyTorch's compiler."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deepchorale.apps import APPS
from deepchorale.data.convert import to_midi
from tests.conftest import CACHE_DIR

SOURCE = Path(__file__).resolve().parents[2] / "src"
INFERENCE = (
    "deepchorale.compose.pipeline",
    "deepchorale.compose.settings",
    "deepchorale.compose.export",
    "deepchorale.models.weights",
    "deepchorale.evaluation.set_scoring",
    "deepchorale.evaluation.set_report",
    "deepchorale.evaluation.turing_report",
)
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


def test_inference_modules_import_no_lightning():
    script = f"import sys, {', '.join(INFERENCE)}; print(sorted(m for m in sys.modules if 'lightning' in m))"
    env = {**os.environ, "PYTHONPATH": str(SOURCE)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_loading_every_shipped_model_imports_no_compiler():
    # torch._dynamo costs a second of import; checking a file's shapes on the meta device once
    # pulled it in through an initialiser, at every compose's start.
    root = SOURCE.parent
    files = sorted(str(path) for path in (root / "experiments" / "pretrained").glob("*/weights.pt"))
    files.append(str(root / "evaluation" / "judge" / "weights.pt"))
    script = f"""
import sys
from deepchorale.models.weights import load_model
for path in {files!r}:
    load_model(path)
print(len({files!r}), "torch._dynamo" in sys.modules)
"""
    env = {**os.environ, "PYTHONPATH": str(SOURCE)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.split() == [str(len(files)), "False"]


def test_evaluate_logs_without_lightning(corpus, tmp_path):
    to_midi(corpus.chorales[0]).write(str(tmp_path / "piece.mid"))
    run = tmp_path / "run"
    argv = ["evaluate", f"inputs={tmp_path / 'piece.mid'}", f"judge={tmp_path / 'no_judge.pt'}", "logger=csv"]
    loaded = heavy_modules_loaded([*argv, f"hydra.run.dir={run}"], {"DEEPCHORALE_CACHE": str(CACHE_DIR)})
    assert (run / "csv" / "version_0" / "metrics.csv").is_file()
    assert "lightning" not in loaded
