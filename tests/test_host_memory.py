import platform
import resource

import pytest
import torch

from deepchorale.host_memory import retain_freed_memory, system_allocator_steady_state

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the knobs are glibc's")

# A training step's pattern in miniature: blocks above glibc's largest mmap threshold (32 MiB),
# all alive at once, written, then all freed.
BLOCK_BYTES, BLOCKS = 40 * 2**20, 4


def page_faults_of_one_step() -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    blocks = [torch.empty(BLOCK_BYTES, dtype=torch.uint8) for _ in range(BLOCKS)]
    for block in blocks:
        block.fill_(1)
    del blocks
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_retained_memory_is_reused_without_page_faults():
    pages = BLOCKS * BLOCK_BYTES // resource.getpagesize()
    assert system_allocator_steady_state()
    page_faults_of_one_step()
    system = page_faults_of_one_step()  # mapped anew every step

    assert retain_freed_memory()
    for _ in range(4):  # the heap grows to hold the step (a hole or two may take a step to fill)
        page_faults_of_one_step()
    retained = page_faults_of_one_step()
    assert retained < pages // 100  # then the same pages serve it again
    assert system > 10 * retained + 10  # (where huge pages are on, a fault maps 2 MiB)
