"""service/heap.py: with the thresholds fixed, a big block freed does not
pull the next big blocks into the main heap (where they fragmented it)."""
import platform
import subprocess
import sys

import pytest

PROBE = """
import ctypes, sys
from driverlogd.service import heap
class MI2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MI2
if sys.argv[1] == "tuned":
    assert heap.tune()
big = bytes(4 << 20)      # mmapped either way; freeing it raises glibc's dynamic threshold
del big
before = libc.mallinfo2().hblkhd
block = bytearray(1 << 20)    # a stream read's size
print(libc.mallinfo2().hblkhd - before >= 1 << 20)
"""


def _mmapped(mode):
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip() == "True"


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator only")
def test_a_big_block_after_a_bigger_free_is_still_its_own_mapping():
    import ctypes
    if not hasattr(ctypes.CDLL("libc.so.6"), "mallinfo2"):
        pytest.skip("no mallinfo2 (glibc < 2.33)")
    assert not _mmapped("default")    # what happened before: from the heap
    assert _mmapped("tuned")
