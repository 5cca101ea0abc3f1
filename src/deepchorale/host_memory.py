"""How the process's C allocator hands freed memory back to the OS, which sets a CPU training step's speed.

torch has no caching allocator on the CPU: every tensor is a `malloc` and every free a `free`.
glibc serves blocks above its mmap threshold (at most 32 MiB, adjusted as blocks are freed) with a
fresh `mmap` and unmaps them on free, and trims the heap top above its trim threshold. A training
step allocates and frees the same activations every step, so the kernel zeroes and maps them anew
every step: at DeepComposer's reference AR-CNN size that is ~220,000 page faults a step (bf16), and
the faults serialise the threads. TensorFlow's own allocator (BFC) keeps what it freed, which is
part of why the Keras reference looked faster (`benchmarks/train_throughput.py --peer`).

`retain_freed_memory` makes glibc do the same: every block comes from the heap and freed memory
stays in the process for the next step; after two or three steps a step faults no page in. The
resident size then stays at the step's peak instead of falling between steps, and that peak is a
little higher (heap holes): 6 % for the reference AR-CNN, 9 % for the 32 x 64 Coconet (bf16,
batch 32). Only glibc has these knobs (`mallopt`); elsewhere it does nothing and says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

# mallopt parameters (malloc.h); a threshold set by hand also ends glibc's dynamic adjustment.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
# The heap-served block size limit: above any tensor a chorale model makes, below the 2 GiB that
# mallopt's int argument allows.
RETAIN_BYTES = 2**31 - 1
# glibc's steady state for a step that frees blocks up to 32 MiB: the mmap threshold has risen to
# its maximum and the trim threshold to twice that (malloc/malloc.c, `free`). Benchmarks emulate
# the default allocator with it, so both policies can be timed in turns in one process.
SYSTEM_MMAP_BYTES = 32 * 2**20


def _mallopt():
    if platform.libc_ver()[0] != "glibc":
        return None
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt


def set_thresholds(mmap_bytes: int, trim_bytes: int) -> bool:
    """Set glibc's mmap and trim thresholds; False where the C library is not glibc or refuses."""
    mallopt = _mallopt()
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, mmap_bytes)) and bool(mallopt(M_TRIM_THRESHOLD, trim_bytes))


def retain_freed_memory() -> bool:
    """Keep freed blocks in the process for reuse instead of unmapping them; False if not possible."""
    return set_thresholds(RETAIN_BYTES, RETAIN_BYTES)


def system_allocator_steady_state() -> bool:
    """Back to (an emulation of) glibc's own policy once a step has run, for benchmarks' baselines:
    its thresholds, and the free memory a retaining phase kept handed back (`malloc_trim`)."""
    if not set_thresholds(SYSTEM_MMAP_BYTES, 2 * SYSTEM_MMAP_BYTES):
        return False
    ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    return True
