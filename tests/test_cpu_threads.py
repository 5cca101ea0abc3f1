"""Threads that fit the machine: the CPU limits read from real files and the environment, and the
environment in place before the CLI's app loads torch."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deepchorale.cpu_threads import (
    SET_HERE,
    affinity_cpus,
    cgroup_quota,
    cores_of,
    fit_threads,
    jobs_at_once,
    slurm_cpus,
    usable_cpus,
)

SOURCE = Path(__file__).resolve().parents[1] / "src"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def no_cgroup(tmp_path) -> dict:
    """Where no cgroup limits the CPUs: an empty hierarchy and no cgroup of our own."""
    return {"cgroup_root": tmp_path / "none", "own_cgroups": tmp_path / "none" / "cgroup"}


def test_cgroup_v2_quota_of_the_process_and_its_ancestors(tmp_path):
    root, own = tmp_path / "cgroup", tmp_path / "self_cgroup"
    write(own, "0::/job/step\n")
    write(root / "cpu.max", "max 100000\n")
    write(root / "job" / "cpu.max", "300000 100000\n")
    write(root / "job" / "step" / "cpu.max", "150000 100000\n")
    assert cgroup_quota(root, own) == 1.5
    write(root / "job" / "step" / "cpu.max", "max 100000\n")
    assert cgroup_quota(root, own) == 3.0  # the parent's limit binds the child
    write(root / "job" / "cpu.max", "max 100000\n")
    assert cgroup_quota(root, own) is None


def test_cgroup_v1_quota_in_the_cpu_controller(tmp_path):
    root, own = tmp_path / "cgroup", tmp_path / "self_cgroup"
    write(own, "4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n")
    write(root / "cpu" / "docker" / "abc" / "cpu.cfs_quota_us", "200000\n")
    write(root / "cpu" / "docker" / "abc" / "cpu.cfs_period_us", "100000\n")
    assert cgroup_quota(root, own) == 2.0
    write(root / "cpu" / "docker" / "abc" / "cpu.cfs_quota_us", "-1\n")
    assert cgroup_quota(root, own) is None


def test_a_container_sees_its_cgroup_as_the_root(tmp_path):
    root = tmp_path / "cgroup"
    write(root / "cpu.max", "50000 100000\n")
    assert cgroup_quota(root, tmp_path / "no_such_file") == 0.5


def test_slurm_cpus_per_task():
    assert slurm_cpus({"SLURM_CPUS_PER_TASK": "3"}) == 3
    assert slurm_cpus({"SLURM_CPUS_PER_TASK": ""}) is None
    assert slurm_cpus({}) is None


def test_hardware_threads_of_one_core_count_once(tmp_path):
    for cpu, (package, core) in enumerate([(0, 0), (0, 1), (0, 0), (0, 1), (1, 0)]):
        write(tmp_path / f"cpu{cpu}" / "topology" / "physical_package_id", f"{package}\n")
        write(tmp_path / f"cpu{cpu}" / "topology" / "core_id", f"{core}\n")
    assert cores_of({0, 1, 2, 3, 4}, tmp_path) == 3
    assert cores_of({0, 2}, tmp_path) == 1
    assert cores_of({0, 7}, tmp_path) == 2  # no topology for cpu7: every CPU a core


def test_usable_cpus_is_the_tightest_limit(tmp_path, no_cgroup):
    cpus = cores_of(affinity_cpus())
    assert usable_cpus({}, **no_cgroup) == cpus
    assert usable_cpus({"SLURM_CPUS_PER_TASK": "1"}, **no_cgroup) == 1
    assert usable_cpus({"SLURM_CPUS_PER_TASK": str(cpus + 8)}, **no_cgroup) == cpus
    root = tmp_path / "cgroup"
    write(root / "cpu.max", "10000 100000\n")  # a tenth of a CPU still runs one thread
    assert usable_cpus({}, root, tmp_path / "no_such_file") == 1


def test_jobs_at_once_follows_joblib():
    assert jobs_at_once(None, 8) == 1
    assert jobs_at_once(2, 8) == 2
    assert jobs_at_once(-1, 8) == 8
    assert jobs_at_once(-2, 8) == 7
    assert jobs_at_once(-20, 8) == 1


@pytest.fixture
def eight_cpus(monkeypatch):
    """A machine of 8 CPUs, and no torch of this test process's to retune."""
    monkeypatch.setattr("deepchorale.cpu_threads.usable_cpus", lambda environ: 8)
    monkeypatch.delitem(sys.modules, "torch", raising=False)


def test_fit_threads_sets_passive_waiting_and_the_share(eight_cpus):
    environ = {}
    fit_threads(environ=environ)
    assert environ["OMP_WAIT_POLICY"] == "PASSIVE"
    assert environ["OMP_NUM_THREADS"] == "8"
    fit_threads(n_jobs=4, environ=environ)  # a launcher's worker that inherited the count refits it
    assert environ["OMP_NUM_THREADS"] == environ[SET_HERE] == "2"


def test_fit_threads_leaves_the_users_settings(eight_cpus):
    environ = {"OMP_NUM_THREADS": "3", "OMP_WAIT_POLICY": "ACTIVE"}
    fit_threads(n_jobs=2, environ=environ)
    assert environ == {"OMP_NUM_THREADS": "3", "OMP_WAIT_POLICY": "ACTIVE"}


def test_the_cli_sets_the_environment_before_torch_loads(tmp_path):
    """An app run through the CLI, with a hook that notes OpenMP's variables when torch is imported."""
    hook = f"""
import os, sys
class NoteTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch":
            with open({str(tmp_path / "seen")!r}, "w") as f:
                f.write(os.environ.get("OMP_WAIT_POLICY", "-") + " " + os.environ.get("OMP_NUM_THREADS", "-"))
        return None
sys.meta_path.insert(0, NoteTorch())
from deepchorale.cli import main
main(["compose", "melody=/no/such/tune.mid", "hydra.run.dir={tmp_path / "run"}"])
"""
    environ = {key: value for key, value in os.environ.items() if not key.startswith("OMP_")}
    environ["PYTHONPATH"] = str(SOURCE)
    done = subprocess.run([sys.executable, "-c", hook], env=environ, capture_output=True, text=True)
    assert done.returncode == 2, done.stderr  # the missing melody, after the app has loaded torch
    policy, threads = (tmp_path / "seen").read_text().split()
    assert policy == "PASSIVE"
    assert int(threads) == usable_cpus()


def test_a_parallel_multiruns_jobs_split_the_cpus(tmp_path):
    """`launcher=joblib`: each job, in its worker process, gets its share and passive waiting."""
    script = tmp_path / "threads_app.py"
    script.write_text(
        "import os\n"
        "from deepchorale.apps.runner import hydra_app\n"
        "from deepchorale.cpu_threads import fit_threads\n\n"
        "@hydra_app('data')\n"
        "def job(cfg, output_dir):\n"
        "    return {'threads': os.environ['OMP_NUM_THREADS'], 'wait': os.environ['OMP_WAIT_POLICY']}\n\n"
        "if __name__ == '__main__':\n"
        "    fit_threads()  # as the CLI does\n"
        "    job()\n"
    )
    sweep = tmp_path / "sweep"
    argv = ["-m", "launcher=joblib", "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={sweep}", "+round=1,2"]
    environ = {key: value for key, value in os.environ.items() if not key.startswith("OMP_")}
    environ["PYTHONPATH"] = os.pathsep.join([str(SOURCE), environ.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, str(script), *argv], env=environ, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    jobs = [json.loads((sweep / str(number) / "results.json").read_text()) for number in (0, 1)]
    share = max(1, usable_cpus() // 2)
    assert jobs == [{"threads": str(share), "wait": "PASSIVE"}] * 2
