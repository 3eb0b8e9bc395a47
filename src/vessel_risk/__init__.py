"""vessel-risk: forced-labour risk of fishing vessels from AIS, as evidence to check.

The package is organised by concept of the domain, low to high: :mod:`~vessel_risk.geo`,
:mod:`~vessel_risk.identity`, :mod:`~vessel_risk.ingest` (readers, the position store),
:mod:`~vessel_risk.events` (cleaning, enriched positions, port visits, voyages, gaps,
loitering, encounters, fishing), :mod:`~vessel_risk.features`, :mod:`~vessel_risk.model`
(the indicator baseline, estimators, the model registry), :mod:`~vessel_risk.db` (the
database), :mod:`~vessel_risk.delivery`, :mod:`~vessel_risk.alerts`,
:mod:`~vessel_risk.referral`; :mod:`~vessel_risk.pipeline` chains the stages
(``run(RunConfig(...))``), :mod:`~vessel_risk.api` and :mod:`~vessel_risk.cli` are the
entrypoints. ``docs/architecture.md`` draws the structure.

For a notebook: :func:`run` does a whole run (``vessel_risk.run(RunConfig(...))``);
:func:`vessel_risk.pipeline.process_partition` runs the per-partition stages on an
``IngestResult.from_frame(df)``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

__version__ = "0.1.0"

if sys.platform == "linux":
    # Arrow's jemalloc pool hands freed buffers back, pyarrow's default (mimalloc) keeps
    # the pages of small ones: 100 MiB of a whole run's peak on a day of decoded AIS
    # (vessel_risk.pipeline.memory.arrow_pool_returning_memory). Arrow reads the variable
    # once, as pyarrow loads; a choice already in the environment stands.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")

__all__ = ["__version__", "run"]


def run(config: Any, **kwargs: Any) -> Any:
    """Run the main job end to end: read, process per partition, score, write, record.

    The same as ``vessel-risk run`` and :func:`vessel_risk.pipeline.run`, for a
    notebook: ``vessel_risk.run(RunConfig(out_dir="out/squid", ais_paths=["ais.parquet"]))``.

    Parameters
    ----------
    config : vessel_risk.pipeline.RunConfig
        With ``out_dir`` and the AIS (``ais_paths`` or ``position_store``); settings
        you want from ``VESSEL_RISK_*``: ``RunConfig.from_settings(Settings(), ...)``.
    **kwargs
        Passed to :func:`vessel_risk.pipeline.run` (``scorer``, ``on_stage``,
        ``on_progress``...).

    Returns
    -------
    vessel_risk.pipeline.RunSummary
        Where the outputs went and the run's counts.

    Raises
    ------
    ValueError
        If ``config`` is a frame-in configuration (no ``out_dir`` or no AIS): use
        :func:`vessel_risk.pipeline.process_partition` for AIS in memory.
    """
    # Imported when called, by name: the root package sits below every layer and imports
    # none at import time (tests/test_architecture.py), so `import vessel_risk` stays light.
    import importlib

    pipeline = importlib.import_module("vessel_risk.pipeline")
    if not isinstance(config, pipeline.RunConfig):
        raise ValueError(f"vessel_risk.run takes a RunConfig, not {type(config).__name__}.")
    if config.out_dir is None or not (config.ais_paths or config.position_store):
        raise ValueError(
            "vessel_risk.run needs RunConfig(out_dir=..., ais_paths=[...] or "
            "position_store=...); for AIS already in memory use "
            "vessel_risk.pipeline.process_partition(IngestResult.from_frame(df), RunConfig())."
        )
    return pipeline.run(config, **kwargs)
