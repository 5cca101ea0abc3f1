"""Compute threads that fit the machine as it is: one per core this process may use, waiting passively.

torch's OpenMP pool starts one thread per core of the machine, whatever share of it the process's
affinity mask, a container's quota or a Slurm allocation grants, and GNU OpenMP's idle threads
spin for a while before they sleep. Alone on a machine that costs nothing. Beside a busy process
it is a collapse: every parallel region waits for the thread whose core the neighbour holds, while
its siblings spin away the time that thread needs. On this project's 2-core machines one busy
neighbour made compose's model stages 3.7x slower (issue #26); with passive waiting it costs about
that core's share (`benchmarks/compose_under_load.py`).

OpenMP reads its environment once, when torch loads it, so `fit_threads` runs first thing in the
CLI and again when a job starts (`apps/runner.py`), and sets
- `OMP_WAIT_POLICY=PASSIVE`: idle threads sleep at once,
- `OMP_NUM_THREADS`: the cores this process may run on (the fewest of the cores in its affinity
  mask, its cgroup's CPU quota and `SLURM_CPUS_PER_TASK`), split between the jobs that a parallel
  multirun launcher runs at once (its `n_jobs`); torch is told too where it is loaded already.
Values the user set are theirs and stay. The count set here is marked in
`DEEPCHORALE_OMP_NUM_THREADS`: a process that inherits it (a launcher's worker, a Slurm job on
another node, a search trial) fits its own machine again instead of taking its parent's count for
the user's.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
OWN_CGROUPS = Path("/proc/self/cgroup")
CPU_SYSFS = Path("/sys/devices/system/cpu")
SET_HERE = "DEEPCHORALE_OMP_NUM_THREADS"


def affinity_cpus() -> set[int]:
    """The CPUs the scheduler lets this process run on (`taskset`, cpusets, Slurm's binding)."""
    try:
        return os.sched_getaffinity(0)
    except AttributeError:  # macOS: no affinity masks
        return set(range(os.cpu_count() or 1))


def cores_of(cpus: set[int], cpu_sysfs: Path = CPU_SYSFS) -> int:
    """The physical cores that `cpus` belong to: a core's second hardware thread adds little to matrix
    work and contends for its units, so torch itself defaults to one thread per core. Where the
    topology cannot be read, each CPU counts as a core."""
    cores = set()
    for cpu in cpus:
        topology = cpu_sysfs / f"cpu{cpu}" / "topology"
        try:
            cores.add(((topology / "physical_package_id").read_text(), (topology / "core_id").read_text()))
        except OSError:
            return len(cpus)
    return len(cores)


def cpu_max_quota(text: str) -> float | None:
    """CPUs' worth of time that a cgroup v2 `cpu.max` ("<quota> <period>", or "max <period>") grants."""
    quota, period = text.split()
    return None if quota == "max" else int(quota) / int(period)


def cfs_quota(quota: str, period: str) -> float | None:
    """CPUs' worth of time that cgroup v1's `cpu.cfs_quota_us` and `cpu.cfs_period_us` grant; -1: no limit."""
    return None if int(quota) < 0 else int(quota) / int(period)


def cgroup_folders(cgroup_root: Path, own_cgroups: Path) -> list[Path]:
    """The folders that may hold this process's CPU limits: its cgroup's and every one above it, in
    the v2 hierarchy and in v1's cpu controller. Inside a container its own cgroup is the root."""
    bases = {cgroup_root: ["/"], cgroup_root / "cpu": ["/"]}
    with contextlib.suppress(OSError):
        for line in own_cgroups.read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controllers == "":
                bases[cgroup_root].append(path)
            elif "cpu" in controllers.split(","):
                bases[cgroup_root / "cpu"].append(path)
    folders = set()
    for base, paths in bases.items():
        for path in paths:
            folder = base / path.lstrip("/")
            folders |= {folder, *(parent for parent in folder.parents if parent.is_relative_to(base))}
    return sorted(folder for folder in folders if folder.is_dir())


def cgroup_quota(cgroup_root: Path = CGROUP_ROOT, own_cgroups: Path = OWN_CGROUPS) -> float | None:
    """The tightest CPU quota over this process's cgroups, in CPUs; None where none is set."""
    quotas = []
    for folder in cgroup_folders(cgroup_root, own_cgroups):
        with contextlib.suppress(OSError, ValueError):
            if (folder / "cpu.max").is_file():
                quotas.append(cpu_max_quota((folder / "cpu.max").read_text()))
            if (folder / "cpu.cfs_quota_us").is_file():
                quota = (folder / "cpu.cfs_quota_us").read_text()
                quotas.append(cfs_quota(quota, (folder / "cpu.cfs_period_us").read_text()))
    return min((quota for quota in quotas if quota is not None), default=None)


def slurm_cpus(environ: MutableMapping[str, str]) -> int | None:
    value = environ.get("SLURM_CPUS_PER_TASK", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def usable_cpus(
    environ: MutableMapping[str, str] = os.environ,
    cgroup_root: Path = CGROUP_ROOT,
    own_cgroups: Path = OWN_CGROUPS,
    cpu_sysfs: Path = CPU_SYSFS,
) -> int:
    """The CPUs this process may keep busy: the fewest that its affinity (counted in cores), its
    cgroup's quota (a fraction of a CPU still gets a thread) and its Slurm allocation allow."""
    limits = [cores_of(affinity_cpus(), cpu_sysfs)]
    quota = cgroup_quota(cgroup_root, own_cgroups)
    if quota is not None:
        limits.append(math.ceil(quota))
    slurm = slurm_cpus(environ)
    if slurm is not None:
        limits.append(slurm)
    return max(1, min(limits))


def jobs_at_once(n_jobs: int | None, cpus: int) -> int:
    """How many jobs a launcher with `n_jobs` runs side by side, joblib's way: -1 one per CPU, -2 all
    but one, and so on; None (a launcher that runs one job at a time) is 1."""
    if n_jobs is None or n_jobs == 0:
        return 1
    return max(1, cpus + 1 + n_jobs if n_jobs < 0 else n_jobs)


def fit_threads(n_jobs: int | None = None, environ: MutableMapping[str, str] = os.environ) -> None:
    """Set passive waiting and this process's share of the CPUs, unless the user set them.
    `n_jobs`: the parallel launcher's setting, when a multirun has one."""
    environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    given = environ.get("OMP_NUM_THREADS")
    if given and given != environ.get(SET_HERE):
        return
    cpus = usable_cpus(environ)
    threads = max(1, cpus // jobs_at_once(n_jobs, cpus))
    environ["OMP_NUM_THREADS"] = environ[SET_HERE] = str(threads)
    torch = sys.modules.get("torch")  # already loaded (an earlier job of this process): tell it too
    if torch is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
