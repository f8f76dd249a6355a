"""What a decoding process needs from its environment: freed memory kept for reuse, and one BLAS thread.

Freed memory: the decoder's large temporary arrays are then reused, not given back.

glibc hands large allocations back to the kernel when they are freed (``mmap``
above a threshold, trimming the top of the heap), and every new block of
samples then pays page faults to get the same memory again: a third of the
decoder's CPU time was kernel time on a 9600-baud file. Raising the thresholds
keeps the memory that was used once (the peak does not change). Elsewhere (not
glibc) this does nothing.

>>> keep_freed_memory() in (True, False)
True

One BLAS thread: numpy's BLAS would start a thread per core for the filter
banks' small matrix products, for about ten times the CPU at the same speed
(the threads spin). :func:`one_blas_thread` limits it for the whole process;
the command line and :class:`~groundstation.dsp.decoder.Decoder` call it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 << 20  # glibc's largest allowed (on 64-bit): arrays below it come from the heap
TRIM_THRESHOLD_BYTES = 1 << 30
TOP_PAD_BYTES = 64 << 20


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse; True when it agreed."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return all(mallopt(parameter, value) == 1 for parameter, value in (
        (M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES), (M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES),
        (M_TOP_PAD, TOP_PAD_BYTES)))


_blas_limited = False


def one_blas_thread() -> None:
    """Keep numpy's BLAS to one thread in this process (once; later calls do nothing)."""
    global _blas_limited
    if _blas_limited:
        return
    import numpy  # noqa: F401  (threadpoolctl limits the libraries loaded when it is called)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")
    _blas_limited = True
