import subprocess
import sys

import pytest

from priorkit import heap
from priorkit.runs.config import TrainConfig

GLIBC_ONLY = pytest.mark.skipif(heap._libc() is None, reason="glibc only (the calls do nothing elsewhere)")

# After a 4 MiB block is freed, glibc serves a 1 MiB block from its heap (the threshold rose);
# with the threshold fixed at 64 KiB the same block is mapped: mallinfo2().hblkhd (bytes in
# mapped blocks) counts it. Run in a fresh process: the setting is process-wide.
PROBE = """
import ctypes, sys
from priorkit.heap import fix_mmap_threshold, _libc

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
                 "fordblks", "keepcost")]

libc = _libc()
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = MallInfo2
applied = fix_mmap_threshold(64) if sys.argv[1] == "fixed" else False
libc.free(libc.malloc(4 << 20))
before = libc.mallinfo2().hblkhd
block = libc.malloc(1 << 20)
print(applied, libc.mallinfo2().hblkhd - before >= 1 << 20)
libc.free(block)
"""


def in_fresh_process(code: str, mode: str) -> list[str]:
    """The words ``code`` prints, run with ``mode`` as its argument in a new interpreter (the
    allocator's settings and state are process-wide)."""
    return subprocess.run(
        [sys.executable, "-c", code, mode], capture_output=True, text=True, check=True
    ).stdout.split()


@GLIBC_ONLY
def test_a_fixed_threshold_keeps_large_blocks_mapped() -> None:
    assert in_fresh_process(PROBE, "default") == ["False", "False"]  # the threshold rose: 1 MiB from the heap
    assert in_fresh_process(PROBE, "fixed") == ["True", "True"]


def test_none_leaves_the_allocator_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_libc", lambda: pytest.fail("the C library must not be touched"))
    assert heap.fix_mmap_threshold(None) is False


def test_without_glibc_nothing_is_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_libc", lambda: None)
    assert heap.fix_mmap_threshold(64) is False


def test_the_setting_is_validated() -> None:
    assert TrainConfig().heap_mmap_kib is None and TrainConfig(heap_mmap_kib=64).heap_mmap_kib == 64
    with pytest.raises(ValueError, match="heap_mmap_kib"):
        TrainConfig(heap_mmap_kib=-1)


# 2,000 blocks of 64 KiB (below glibc's first mmap threshold: served from the heap), touched,
# then every other one freed: 1,000 holes between live blocks. The heap keeps their 62 MiB of
# pages (free() only ever cuts the heap's top) until trim() gives them back.
HOLES = """
import ctypes, sys
from priorkit.heap import trim, _libc

def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

libc = _libc()
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
blocks = [libc.malloc(64 << 10) for _ in range(2000)]
for b in blocks:
    ctypes.memset(b, 1, 64 << 10)
for b in blocks[::2]:
    libc.free(b)
held = rss_mib()
released = trim() if sys.argv[1] == "trim" else False
print(released, round(held - rss_mib()))
"""


def holes(mode: str) -> tuple[str, int]:
    released, given_back = in_fresh_process(HOLES, mode)
    return released, int(given_back)


@GLIBC_ONLY
def test_trim_gives_the_pages_of_freed_holes_back() -> None:
    assert holes("keep")[1] < 10  # freed, yet still resident
    released, given_back = holes("trim")
    assert released == "True" and given_back > 50


def test_without_glibc_trim_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_libc", lambda: None)
    assert heap.trim() is False
