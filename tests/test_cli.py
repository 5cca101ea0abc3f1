import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deepchorale.cli import APPS

BIN = Path(sys.executable).parent  # the venv's bin/, where `deepchorale` is installed


def cli(*args: str, module: str = "deepchorale.cli", env=None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", module, *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


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
    assert tab("deepchorale train model=") == ["model=arcnn", "model=coconet", "model=judge"]
    assert tab("deepchorale compose melody_") == ["melody_track="]
    assert tab(f"{BIN / 'deepchorale'} data paths") == ["paths.", "paths="]  # called by its path


def test_install_registers_the_command_and_a_query_without_a_shell_fails_cleanly():
    install = cli("compose", "-sc", "install=bash", module="deepchorale")
    assert install.returncode == 0
    assert install.stdout.strip().endswith("-F hydra_bash_completion deepchorale")
    env = {key: value for key, value in os.environ.items() if key != "COMP_LINE"}
    query = cli("train", "--shell-completion", "query=bash", env=env)
    assert query.returncode == 2 and query.stderr.strip().startswith("deepchorale: error: a completion query")
