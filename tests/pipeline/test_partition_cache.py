"""The incremental run's partition cache survives a task killed while writing it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from vessel_risk.pipeline.partition_cache import load_frames, save_frames

WRITER = """
import sys
import numpy as np
import pandas as pd
from pathlib import Path
from vessel_risk.pipeline.partition_cache import save_frames
frame = pd.DataFrame({"x": np.random.default_rng(1).random(2_000_000)})
print("ready", flush=True)
while True:
    save_frames(Path(sys.argv[1]), {"positions": frame, "grid": frame})
"""


def test_a_task_killed_while_saving_leaves_the_cache_readable(tmp_path):
    """A Dask worker lost mid-task (its task is then retried elsewhere, reading the
    cache): each file is the last one written whole, never a truncated one."""
    folder = tmp_path / "part=00000"
    before = pd.DataFrame({"x": np.arange(10.0)})
    save_frames(folder, {"positions": before, "grid": before})
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    for attempt in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(folder)], stdout=subprocess.PIPE, env=env
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        time.sleep(0.4 + 0.13 * attempt)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        frames = load_frames(folder, ["positions", "grid"])
        assert {len(f) for f in frames.values()} <= {10, 2_000_000}
