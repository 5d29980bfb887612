"""The C heap's policy for a long-running daemon (glibc only).

glibc serves a block of 128 KiB or more with its own mmap, returned to the
system when freed, but after freeing one it raises that threshold to the
block's size (up to 32 MiB), and the trim threshold to twice that. From then
on the stream's 1 MiB reads, paramiko's channel buffer and the full list's
bodies are carved from the main heap, and the long-lived fragments the
snapshot rebuilds meanwhile settle in between: at 10,000 drivers the heap
kept ~11 MB free but unreturnable after the first ~60k events (mallinfo2:
free 0.4 -> 10.7 MB; malloc_trim(0) gave back ~1 MB of it). A fixed
threshold keeps big, short-lived blocks out of the heap (~6 MB of that).
"""
import ctypes
import ctypes.util
import logging
import platform

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1      # glibc malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 128 * 1024    # glibc's default, fixed: no longer raised
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD


def tune() -> bool:
    """Fix the thresholds (setting them turns the dynamic rule off); True if
    they were set. Elsewhere than glibc the allocator is left as it is."""
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError) as e:    # a static or unusual build: nothing to tune
        log.debug("heap: no mallopt (%s)", e)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
