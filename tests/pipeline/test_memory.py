"""Memory of a run's processes (vessel_risk.pipeline.memory): glibc's thresholds and
Arrow's pool, each checked in a fresh process (in this one, earlier tests' freed memory
would serve any block)."""

from __future__ import annotations

import pytest


def test_large_blocks_go_back_to_the_system_when_freed():
    """With the threshold fixed at the start of a process (as run() does), a freed 16 MiB
    array leaves its resident memory even after a larger block was freed (which, by
    default, raises glibc's threshold to that block's size and keeps the next arrays in
    its heap). A fresh process: in this one, earlier tests' freed heap serves any block."""
    import sys

    if sys.platform != "linux":
        pytest.skip("glibc's malloc only")
    printed = _printed_by_fresh_process(
        "from vessel_risk.pipeline.memory import heap_returns_large_blocks",
        """
assert heap_returns_large_blocks() is True
big = np.ones(24 * 2**20, dtype="uint8")
del big
array = np.ones(16 * 2**20, dtype="uint8")  # every page touched
held = resident_mib()
del array
print(held - resident_mib())
""",
    )
    assert float(printed) >= 12


def test_a_later_run_in_the_process_gets_the_large_threshold_back():
    """heap_keeps_large_blocks undoes the small threshold (review: a second run() in one
    process ran its partition passes with it): a 16 MiB array then comes from the heap,
    not its own memory map (glibc's count of mapped blocks, ``mallinfo2().hblks``), as
    under glibc's settled default. Without the small threshold it does nothing."""
    import subprocess
    import sys

    if sys.platform != "linux":
        pytest.skip("glibc's malloc only")
    script = """
import ctypes, ctypes.util
import numpy as np
from vessel_risk.pipeline.memory import heap_keeps_large_blocks, heap_returns_large_blocks

class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
    ).split()]  # glibc's struct mallinfo2, whole (it is returned by value)

libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.mallinfo2.restype = Info

def mapped_with(size):
    before = libc.mallinfo2().hblks
    array = np.ones(size, dtype="uint8")
    mapped = libc.mallinfo2().hblks - before
    del array
    return mapped

assert heap_keeps_large_blocks() is False  # never set: glibc's own behaviour kept
assert heap_returns_large_blocks() is True
small = mapped_with(16 * 2**20)
assert heap_keeps_large_blocks() is True
assert heap_keeps_large_blocks() is False  # once
print(small, mapped_with(16 * 2**20))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["1", "0"]


def test_return_free_memory_gives_back_what_the_heap_holds_free():
    """Blocks below the mmap threshold freed under a live one stay in glibc's heap (the
    top cannot be cut back); return_free_memory hands their pages back."""
    import sys

    if sys.platform != "linux":
        pytest.skip("glibc's malloc only")
    printed = _printed_by_fresh_process(
        "from vessel_risk.pipeline.memory import return_free_memory",
        """
blocks = [np.ones(100_000, dtype="uint8") for _ in range(2_000)]  # 100 kB each, 191 MiB
last = blocks[-1]
del blocks  # all but the last, which pins the heap's top
held = resident_mib()
return_free_memory()
print(held - resident_mib())
""",
    )
    assert float(printed) >= 150


def _printed_by_fresh_process(
    imports: str, body: str, environ: dict[str, str] | None = None
) -> str:
    """What ``body`` prints in a fresh Python process (numpy, ``imports`` and a
    ``resident_mib()`` of that process given): in this one, earlier tests' freed heap
    would serve any block. ``ARROW_DEFAULT_MEMORY_POOL`` is unset unless ``environ``
    (added to this process's environment) sets it."""
    import os
    import subprocess
    import sys

    script = (
        "import numpy as np\n"
        + imports
        + "\n"
        + """
def resident_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20
"""
        + body
    )
    # the pool's variable as the process would get it from a shell that never set it
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**env, **(environ or {})},
    )
    return done.stdout


def test_the_arrow_pool_hands_freed_small_buffers_back(tmp_path):
    """300 MiB of Arrow buffers of 100 kB (a column read's size), nine in ten freed: the
    pool ``import vessel_risk`` names hands their pages back within seconds (jemalloc's
    decay), where pyarrow's default (mimalloc) kept all of them (measured: 0 MiB back).
    Arrow IPC reads (their LZ4 decompression is Arrow's C++, which reads the pool's name
    from the environment once) allocate from it too."""
    import sys

    if sys.platform != "linux":
        pytest.skip("jemalloc named on Linux only; resident memory read from /proc")
    printed = _printed_by_fresh_process(
        "import os, time\n"
        "from vessel_risk.pipeline.memory import arrow_pool_returning_memory, return_free_memory\n"
        "import pyarrow as pa\nfrom pyarrow import feather",
        f"""
backend = arrow_pool_returning_memory()
pools = {{"je": pa.jemalloc_memory_pool(), "mi": pa.mimalloc_memory_pool()}}
path = "{tmp_path}/x.arrow"
feather.write_feather(pa.table({{"x": np.arange(100_000)}}), path, compression="lz4")
read = feather.read_table(path)
used = {{k: p.bytes_allocated() > 0 for k, p in pools.items()}}
print(os.environ["ARROW_DEFAULT_MEMORY_POOL"], backend, used)
del read
buffers = [pa.allocate_buffer(100_000) for _ in range(3_000)]
for b in buffers:
    np.frombuffer(b, dtype="uint8")[:] = 1  # every page touched
kept = buffers[::10]
del buffers
held = resident_mib()
return_free_memory()
for _ in range(50):  # jemalloc purges a second after the free (Arrow's decay)
    if held - resident_mib() >= 200:
        break
    time.sleep(0.1)
print(round(held - resident_mib()), pa.total_allocated_bytes() // 100_000)
""",
    )
    named, given_back = printed.splitlines()
    assert named == "jemalloc jemalloc {'je': True, 'mi': False}"
    back, live = given_back.split()
    assert int(back) >= 200
    assert 300 <= int(live) <= 301  # the kept tenth (in 100 kB) is untouched


@pytest.mark.parametrize(
    ("environ", "code", "expected"),
    [
        ({}, "", "jemalloc"),  # pyarrow loaded first: pyarrow's own calls aligned
        ({"ARROW_DEFAULT_MEMORY_POOL": "system"}, "", "system"),  # the user's choice
        ({"ARROW_DEFAULT_MEMORY_POOL": ""}, "", "mimalloc"),  # blanked: Arrow's default
        ({"ARROW_DEFAULT_MEMORY_POOL": "proxy"}, "", "mimalloc"),  # not a pool: no crash
        ({}, "pa.set_memory_pool(pa.system_memory_pool())", "system"),  # set in code
    ],
)
def test_a_worker_aligns_the_pool_where_pyarrow_loaded_first_and_other_choices_stand(
    environ, code, expected
):
    """pandas loads pyarrow as it is imported, so in a notebook pyarrow's default is
    fixed before ``import vessel_risk`` names jemalloc: the worker plugin (as run() and
    ingest) then makes jemalloc the default of pyarrow's own calls. A pool the user
    chose, in the environment or in code, stays."""
    printed = _printed_by_fresh_process(
        "import pandas\nimport pyarrow as pa",
        f"""
{code}
from vessel_risk.pipeline.worker_heap import WorkerHeap
WorkerHeap().setup(None)
print(pa.default_memory_pool().backend_name)
""",
        environ,
    )
    assert printed.strip() == expected
