"""The memory of a run's processes: what the driver and the workers hand back, and when.

A run's driver and Dask workers allocate and free column arrays by the hundred megabytes.
Two allocators hold what is freed unless told otherwise: glibc's ``malloc`` (numpy,
pandas, Python) and Arrow's memory pool (Parquet and Arrow IPC reads, Arrow-backed
strings). The functions here set both up for a run and hand freed memory back where a
phase of the run ends; measured choices are in ``benchmarks/README.md`` (issue 15,
sessions 7-9).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sys
from typing import Any

import pyarrow as pa

__all__ = [
    "ARROW_POOL_VARIABLE",
    "MMAP_THRESHOLD_BYTES",
    "arrow_pool_returning_memory",
    "heap_as_settled",
    "heap_keeps_large_blocks",
    "heap_returns_large_blocks",
    "return_free_memory",
]


MMAP_THRESHOLD_BYTES = 1 << 20
"""Blocks of at least this many bytes get their own memory map from glibc's ``malloc``
(:func:`heap_returns_large_blocks`)."""

_M_TRIM_THRESHOLD = -1  # glibc's <malloc.h>
_M_MMAP_THRESHOLD = -3
_GLIBC_THRESHOLD_MAX = 32 << 20  # DEFAULT_MMAP_THRESHOLD_MAX on 64-bit: where it settles
_set_in_this_process = False


@functools.cache
def _glibc() -> Any:
    """glibc, or None elsewhere (``find_library`` runs ``ldconfig``: looked up once)."""
    name = ctypes.util.find_library("c")
    if sys.platform != "linux" or not name:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


def _mallopt(option: int, size: int) -> bool:
    libc = _glibc()
    try:
        return libc is not None and bool(libc.mallopt(option, size))
    except AttributeError:
        return False


def heap_as_settled() -> bool:
    """Give glibc's ``malloc`` the thresholds it settles at by itself in a long run:
    blocks of 32 MiB or more get their own memory map, and the heap's free top is
    returned to the system above 64 MiB.

    For Dask workers (:class:`~vessel_risk.pipeline.engine.Engine` sets it in each as it
    starts). Dask's nanny starts every worker with ``MALLOC_TRIM_THRESHOLD_=65536``
    (``distributed.nanny.pre-spawn-environ``), which also fixes the memory-map threshold
    at 128 KiB: every column array is then a fresh memory map, and the heap is cut back
    and grown again between stages. Measured on one partition of the 5M file, the first
    pass took 3.3 s of CPU in such a worker against 2.1 s in this process; with this
    call, 2.1 s (benchmarks/README.md, issue 15 session 8). A no-op where the C library
    is not glibc.

    Returns
    -------
    bool
        True when both thresholds were set.
    """
    return _mallopt(_M_MMAP_THRESHOLD, _GLIBC_THRESHOLD_MAX) and _mallopt(
        _M_TRIM_THRESHOLD, 2 * _GLIBC_THRESHOLD_MAX
    )


def heap_returns_large_blocks() -> bool:
    """Have glibc's ``malloc`` give every block of :data:`MMAP_THRESHOLD_BYTES` or more
    its own memory map, so the arrays of a stage go back to the system when freed.

    By default glibc raises its threshold (128 KiB) up to 32 MiB as large blocks are
    freed, so most column arrays of a run land in its heap; once freed, they stay in
    the process between live objects, and each later stage's peak is added to what the
    earlier ones left. It applies to blocks the heap has no free room for. The run sets
    it in the driver after the partition passes, for the stacking, scoring and writing
    at its end (decoded CSV of ``bench_aisdb.py``: whole-run peak 1,089 -> 993 MiB).
    Not during the passes: there every large array would be a fresh memory map, and
    the page faults cost 19 % more CPU in the whole run at 2M (benchmarks/README.md,
    issue 15 session 7). A no-op where the C library is not glibc.

    The setting lasts for the process, so :func:`heap_keeps_large_blocks` undoes it at
    the start of a later run in the same process (a caller running several). What the
    passes left free is given back at once (:func:`return_free_memory`).

    Returns
    -------
    bool
        True when the threshold was set.
    """
    global _set_in_this_process
    _set_in_this_process = _mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) or _set_in_this_process
    return_free_memory()
    return _set_in_this_process


ARROW_POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"
"""The environment variable that names Arrow's default pool, read once as pyarrow loads:
``import vessel_risk`` sets it to ``jemalloc`` on Linux unless it is set already."""


def arrow_pool_returning_memory() -> str:
    """Make jemalloc pyarrow's default pool where :data:`ARROW_POOL_VARIABLE` names it
    but pyarrow loaded before (pandas loads pyarrow as it is imported: ``import pandas``
    before ``import vessel_risk``, as in most notebooks).

    pyarrow's own default pool, mimalloc, keeps the pages of freed small buffers (up to
    about 1 MiB) for the process: ``release_unused`` hands back the large ones only. A
    run reads thousands of such buffers (every column of every Arrow IPC and Parquet
    read, Arrow-backed strings): the pool held 250 MiB of pages for 52 MiB in use when
    the driver recorded a run of the 1.8 million-row decoded CSV. jemalloc hands freed
    pages back within about a second (Arrow's decay) and is as fast here (1M rows,
    ``sync``: 16.1 against 16.5 s). Whole run on that file (``vessel-risk run
    --baseline``, ``/usr/bin/time -v``): peak 1,037 -> 937 MiB; the system allocator
    gives back as well but mixes Arrow's buffers into glibc's heap (1,034 MiB). Measured
    in benchmarks/README.md (issue 15, session 9).

    The environment variable is what counts: Arrow's C++ readers (Arrow IPC
    decompression among them) allocate from the pool it named when pyarrow loaded,
    whatever is set here later; where pyarrow loaded first, this sets the pool of
    pyarrow's own calls (conversions, Parquet, compute), the most it can (run 1,045 MiB
    instead of 937). Any other choice stands: another pool named in the variable (or an
    empty one), or a pool set in code with ``pyarrow.set_memory_pool``. Called where a run
    starts (:func:`vessel_risk.pipeline.run.run`) and in every Dask worker
    (:class:`~vessel_risk.pipeline.worker_heap.WorkerHeap`); the command line needs no
    call (it imports ``vessel_risk`` before pyarrow) and a local cluster's workers
    inherit the variable. Buffers already allocated stay with the pool that made them.

    Returns
    -------
    str
        The backend of pyarrow's default pool now.
    """
    current = pa.default_memory_pool().backend_name
    if os.environ.get(ARROW_POOL_VARIABLE) == "jemalloc" and current == "mimalloc":
        try:
            pa.set_memory_pool(pa.jemalloc_memory_pool())
        except NotImplementedError:  # a pyarrow built without jemalloc
            pass
    return str(pa.default_memory_pool().backend_name)


def return_free_memory() -> None:
    """Give memory freed so far back to the system: Arrow's pool
    (``release_unused``) and glibc's heaps, every arena (``malloc_trim(0)``).

    Called by the driver where a phase of the run ends and its frames are gone (after
    the partition passes, before the tables are written, before the database
    recording), so what the next phase allocates is not added to what the last one
    left free but held. Whole-run peak on the 1.8 million-row decoded CSV (``vessel-risk
    run --baseline``): 1,041-1,049 -> 1,023-1,027 MiB (benchmarks/README.md, issue 15
    session 8). malloc_trim is a no-op where the C library is not glibc.
    """
    pa.default_memory_pool().release_unused()
    libc = _glibc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def heap_keeps_large_blocks() -> bool:
    """Undo :func:`heap_returns_large_blocks` before a run's partition passes.

    glibc cannot be given its rising threshold back, so the threshold is set where that
    one settles once large blocks have been freed (32 MiB, glibc's
    ``DEFAULT_MMAP_THRESHOLD_MAX`` on 64-bit). A no-op in a process where the small
    threshold was never set (the first run keeps glibc's own behaviour).

    Returns
    -------
    bool
        True when the threshold was reset.
    """
    global _set_in_this_process
    if not _set_in_this_process:
        return False
    _set_in_this_process = not _mallopt(_M_MMAP_THRESHOLD, _GLIBC_THRESHOLD_MAX)
    return not _set_in_this_process
