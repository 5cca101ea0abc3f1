import subprocess
import sys


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deepchorale.cli", *args], capture_output=True, text=True)


def test_help_lists_the_apps():
    run = cli("--help")
    assert run.returncode == 0 and "data" in run.stdout


def test_unknown_app_is_one_clear_line():
    run = cli("paint")
    assert run.returncode == 2
    expected = "deepchorale: error: unknown app 'paint'; choose from data, train, compose, evaluate"
    assert run.stderr.strip() == expected


def test_no_app_prints_usage_and_fails():
    run = cli()
    assert run.returncode == 2 and run.stdout.startswith("usage: deepchorale <app>")
