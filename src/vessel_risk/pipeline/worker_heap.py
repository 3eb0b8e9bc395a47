"""The Dask worker plugin that sets each worker's heap as a plain process's.

Imported only where a cluster is used (:class:`~vessel_risk.pipeline.engine.Engine`),
so the in-process mode never imports Dask.
"""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from vessel_risk.pipeline.memory import arrow_pool_returning_memory, heap_as_settled


class WorkerHeap(WorkerPlugin):
    """Calls :func:`~vessel_risk.pipeline.memory.heap_as_settled` and
    :func:`~vessel_risk.pipeline.memory.arrow_pool_returning_memory` in every worker, the
    ones already running and any that join or are restarted later."""

    name = "vessel-risk-heap"

    def setup(self, worker: Any) -> None:
        """Set the worker process's ``malloc`` thresholds and Arrow pool (``worker``: the
        Dask worker)."""
        del worker
        heap_as_settled()
        arrow_pool_returning_memory()
