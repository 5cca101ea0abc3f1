"""Whether the C allocator hands freed memory back to the OS: a cost in every CPU training step.

torch has no caching allocator on the CPU: every tensor is a `malloc` and every free a `free`.
glibc serves blocks above its mmap threshold (at most 32 MiB, adjusted as blocks are freed) with a
fresh `mmap` and unmaps them on free, and trims the heap top above its trim threshold. A training
step allocates and frees the same activations every step, so the kernel zeroes and maps them anew
every step: at DeepComposer's reference AR-CNN size that is ~220,000 page faults a step (bf16),
0.3-2 s of system time, and the threads wait on them. TensorFlow's own allocator (BFC) keeps what
it freed, which is part of why the Keras reference looked faster (`train_throughput.py --peer`).

`retain_freed_memory` makes glibc do the same: every block comes from the heap and freed memory
stays in the process for the next step; after two or three steps a step faults no page in. The
resident size then stays at the step's peak instead of falling between steps, and that peak is
higher by the heap's holes: 6 % for the reference AR-CNN, 9 % for the 32 x 64 Coconet (bf16,
batch 32), though a synthetic step of four equal 40 MiB blocks settles at 4x its 160 MiB. Where
memory is tighter than time, `retain_freed_memory=false`. Only glibc has these knobs (`mallopt`);
elsewhere it does nothing and says so.
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


def retain_freed_memory() -> bool:
    """Keep freed blocks in the process for reuse instead of unmapping them; False where the C
    library is not glibc or refuses. Once set, glibc's own policy cannot be restored in the process."""
    if platform.libc_ver()[0] != "glibc":
        return False
    mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    return bool(mallopt(M_MMAP_THRESHOLD, RETAIN_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, RETAIN_BYTES))
