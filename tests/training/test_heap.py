import subprocess
import sys

import pytest

from priorkit.runs.config import TrainConfig
from priorkit.training import heap

# After a 4 MiB block is freed, glibc serves a 1 MiB block from its heap (the threshold rose);
# with the threshold fixed at 64 KiB the same block is mapped: mallinfo2().hblkhd (bytes in
# mapped blocks) counts it. Run in a fresh process: the setting is process-wide.
PROBE = """
import ctypes, sys
from priorkit.training.heap import fix_mmap_threshold, _libc

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


def probe(mode: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.skipif(heap._libc() is None, reason="glibc only (the setting does nothing elsewhere)")
def test_a_fixed_threshold_keeps_large_blocks_mapped() -> None:
    assert probe("default").split() == ["False", "False"]  # the threshold rose: 1 MiB from the heap
    assert probe("fixed").split() == ["True", "True"]


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
