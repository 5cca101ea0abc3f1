import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deepchorale.cli import APPS, hydra_ready
from deepchorale.data.convert import to_midi
from tests.conftest import CACHE_DIR

BIN = Path(sys.executable).parent  # the venv's bin/, where `deepchorale` is installed


def cli(*args: str, module: str = "deepchorale.cli", env=None, cwd=None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", module, *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def test_help_lists_the_apps():
    run = cli("--help")
    assert run.returncode == 0 and all(f"  {app} " in run.stdout for app in APPS)
    assert 'eval "$(deepchorale train -sc install=bash)"' in run.stdout


def test_python_dash_m_deepchorale_is_the_command():
    run = cli("--help", module="deepchorale")
    assert run.returncode == 0 and run.stdout == cli("--help").stdout
    unknown = cli("paint", module="deepchorale")
    assert unknown.returncode == 2 and unknown.stderr.startswith("deepchorale: error: unknown app 'paint'")


def test_unknown_app_is_one_clear_line():
    run = cli("paint")
    assert run.returncode == 2
    assert run.stderr.strip() == f"deepchorale: error: unknown app 'paint'; choose from {', '.join(APPS)}"


def test_no_app_prints_usage_and_fails():
    run = cli()
    assert run.returncode == 2 and run.stdout.startswith("usage: deepchorale <app>")


def tab(line: str) -> list[str]:
    """What bash offers on <Tab> after `line`, through the script Hydra installs for `deepchorale`."""
    script = f"""
        eval "$(deepchorale train --shell-completion install=bash)"
        COMP_LINE='{line}'
        COMP_POINT=${{#COMP_LINE}}
        words=($COMP_LINE)
        COMP_CWORD=$(( ${{#words[@]}} - 1 ))
        [[ "$COMP_LINE" == *" " ]] && COMP_CWORD=${{#words[@]}}
        hydra_bash_completion
        printf '%s\\n' "${{COMPREPLY[@]}}"
    """
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    return sorted(run.stdout.split())


@pytest.mark.skipif(not shutil.which("bash") or not (BIN / "deepchorale").exists(), reason="needs bash")
def test_bash_completes_app_names_then_each_apps_overrides():
    assert tab("deepchorale tr") == ["train"]
    assert tab("deepchorale train model=") == [
        "model=arcnn",
        "model=articulation",
        "model=coconet",
        "model=judge",
        "model=judge_evaluation",
        "model=musegan",
        "model=unet_gan",
    ]
    assert tab("deepchorale compose melody_") == ["melody_track="]
    assert tab(f"{BIN / 'deepchorale'} data paths") == ["paths.", "paths="]  # called by its path


def test_install_registers_the_command_and_a_query_without_a_shell_fails_cleanly():
    install = cli("compose", "-sc", "install=bash", module="deepchorale")
    assert install.returncode == 0
    assert install.stdout.strip().endswith("-F hydra_bash_completion deepchorale")
    env = {key: value for key, value in os.environ.items() if key != "COMP_LINE"}
    query = cli("train", "--shell-completion", "query=bash", env=env)
    assert query.returncode == 2 and query.stderr.strip().startswith("deepchorale: error: a completion query")


ODD_NAMES = ["My Tune.mid", "Café tune.mid", "it's (take 2).mid", "Bach [BWV 147] #1.mid", 'say "hi".mid']


def test_file_names_with_spaces_accents_and_quotes_reach_the_app_intact(tmp_path):
    files = [tmp_path / name for name in [*ODD_NAMES, "Jesu, joy.mid"]]
    for path in files:
        path.write_bytes(b"")
    # Compose's config has several file keys: each gets one odd name, as the shell hands it over.
    keys = ["melody", "critic", "models.coconet", "models.arcnn", "bundle.fullname"]
    overrides = [f"{key}={path}" for key, path in zip(keys, files, strict=False)]
    run = cli("compose", *overrides, "seed=7", "--cfg", "job", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    job = yaml.safe_load(run.stdout)
    arrived = [job["melody"], job["critic"], job["models"]["coconet"], job["models"]["arcnn"]]
    assert [*arrived, job["bundle"]["fullname"]] == [str(path) for path in files[:5]]
    assert job["seed"] == 7  # the other overrides as before
    # Relative names, as typed: `melody="Jesu, joy.mid"` names a file, so its comma is no sweep.
    for name in ("Jesu, joy.mid", "Bach [BWV 147] #1.mid"):
        run = cli("compose", f"melody={name}", "--cfg", "job", cwd=tmp_path)
        assert run.returncode == 0, run.stderr[-2000:]
        assert yaml.safe_load(run.stdout)["melody"] == name


def test_an_odd_name_is_scored_by_a_real_run(corpus, tmp_path):
    folder = tmp_path / "Chorälé in é"
    folder.mkdir()
    piece = folder / "Café tune (1).mid"
    to_midi(corpus.chorales[0]).write(str(piece))
    run_dir = tmp_path / "run"
    env = {**os.environ, "DEEPCHORALE_CACHE": str(CACHE_DIR)}
    run = cli("evaluate", f"inputs={piece}", "logger=none", f"hydra.run.dir={run_dir}", env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    (scored,) = json.loads((run_dir / "results.json").read_text())["files"]
    assert Path(scored["file"]).name == piece.name


def test_what_hydra_cannot_read_even_quoted_is_one_line_with_a_hint(tmp_path):
    run = cli("data", "data.views=[pitches", cwd=tmp_path)
    assert run.returncode == 2
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("deepchorale data: error: Hydra cannot read 'data.views=[pitches' (")
    assert line.endswith("""e.g. 'data.views="[pitches"' (in a sweep, around each choice)""")


def test_every_other_argument_reaches_hydra_as_typed(tmp_path):
    typed = ["-m", "melody=ode_to_joy,twinkle_twinkle", "seed=range(1,3)", "+extra=[1,2]", "~judge",
             "judge=null", "data.views=[pitches,pianoroll]", "hydra/launcher=basic", "trainer.max_epochs=5",
             "--cfg", "job", "-sc", "install=bash", "melody='My Tune.mid'",
             f"hydra.run.dir={tmp_path}"]  # fmt: skip
    assert hydra_ready(typed) == typed
