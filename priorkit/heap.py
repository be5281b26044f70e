"""Keeping the C heap from growing epoch after epoch (glibc's ``malloc_trim`` and mmap threshold).

glibc serves a large allocation from ``mmap`` (returned to the system when freed) until a block
that size is freed; then it raises its threshold to that size and serves later ones from the
heap, whose freed holes the system does not get back. Training on inputs whose batches differ
in size (sparse bags of words, trees of every size) allocates and frees blocks of ever-new sizes,
and the heap grows epoch after epoch: one Twitter15 fold with every reply's words grew from
about 640 to 1060 MiB over its epochs. Two remedies, both process-wide and both no-ops without glibc:

- :func:`trim` calls ``malloc_trim(0)``: the free pages inside the heap's holes go back to the
  system, the holes stay for later blocks. Cheap (a walk over the free lists); called every few
  training steps (:class:`~priorkit.training.heap_trim.HeapTrim`, ``TrainConfig.heap_trim_steps``,
  on by default) and after each prediction pass, it keeps resident memory flat.
- :func:`fix_mmap_threshold` (``TrainConfig.heap_mmap_kib``, off by default) fixes the threshold
  (``mallopt(M_MMAP_THRESHOLD)``, the ``MALLOC_MMAP_THRESHOLD_`` environment variable in code) so
  that large blocks stay mapped, at a cost in time: every such block is a fresh mapping.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
from functools import cache

log = logging.getLogger("priorkit")

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number (malloc.h)


@cache
def _libc() -> ctypes.CDLL | None:
    """The C library when it is glibc (it has ``mallopt``), else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version") else None


def fix_mmap_threshold(kib: int | None) -> bool:
    """Serve every allocation of at least ``kib`` KiB from ``mmap`` from now on, in this process
    (None: leave the allocator as it is). Returns whether the setting was applied: False on
    systems without glibc, where it does nothing.
    """
    if kib is None:
        return False
    libc = _libc()
    if libc is None:
        log.debug("train.heap_mmap_kib: not glibc, the allocator is left as it is")
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, ctypes.c_int(kib * 1024)))


def trim() -> bool:
    """Give the heap's free pages back to the system now (glibc's ``malloc_trim(0)``, over every
    arena). Returns whether any memory was released; False without glibc."""
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False
