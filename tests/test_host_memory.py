import platform
import resource
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the knobs are glibc's")

# A training step's pattern in miniature: blocks above glibc's largest mmap threshold (32 MiB), all
# alive at once, written, then all freed. The fewest page faults of steps 9 to 12, in a fresh
# process each time (once set, the policy cannot be undone): the steady step's, which one step
# disturbed by a loaded machine does not hide (a sum over the steps read 51,200 instead of 0 once,
# beside another test run).
STEADY_PAGE_FAULTS = """
import resource, sys, torch
from deepchorale.host_memory import retain_freed_memory
if sys.argv[1] == "retain":
    assert retain_freed_memory()
faults = []
for _ in range(12):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    blocks = [torch.empty(40 * 2**20, dtype=torch.uint8) for _ in range(4)]
    for block in blocks:
        block.fill_(1)
    del blocks
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(min(faults[8:]))
"""


def steady_page_faults(policy: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", STEADY_PAGE_FAULTS, policy], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


def test_retained_memory_is_reused_instead_of_mapped_anew():
    pages_per_step = 4 * 40 * 2**20 // resource.getpagesize()
    system = steady_page_faults("system")
    assert system > 0.75 * pages_per_step  # glibc's own policy maps every block anew, every step
    # Kept, once the heap has grown to fit the step (a few steps: blocks miss holes), its pages serve.
    assert steady_page_faults("retain") < system / 5
