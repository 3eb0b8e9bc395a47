"""The main job, stage by stage: AIS in; events, features, ranked alerts and a report out.

- :mod:`~vessel_risk.pipeline.config`: :class:`RunConfig`, the one run configuration;
- :mod:`~vessel_risk.pipeline.stages`: the chain of stages and the two per-partition
  passes every run maps over partitions of vessels;
- :mod:`~vessel_risk.pipeline.run`: :func:`run`, the whole job from files to outputs;
- :mod:`~vessel_risk.pipeline.process`: :func:`process_partition`, the per-partition
  function on AIS in memory (a notebook's), and :func:`process`, the chain with scoring;
- :mod:`~vessel_risk.pipeline.scoring`, :mod:`~vessel_risk.pipeline.counts`,
  :mod:`~vessel_risk.pipeline.report`: scoring, the run's counts and ``report.html``.
"""

from vessel_risk.pipeline.config import RunConfig
from vessel_risk.pipeline.process import (
    PartitionFrames,
    ProcessResult,
    process,
    process_partition,
)
from vessel_risk.pipeline.run import RunSummary, load_references, run
from vessel_risk.pipeline.scoring import Scorer, choose_scorer, score_frame, score_with_model
from vessel_risk.pipeline.stages import (
    CHAIN,
    STAGES,
    Events,
    PartitionWork,
    References,
    first_pass,
    second_pass,
)

__all__ = [
    "CHAIN",
    "STAGES",
    "Events",
    "PartitionFrames",
    "PartitionWork",
    "ProcessResult",
    "References",
    "RunConfig",
    "RunSummary",
    "Scorer",
    "choose_scorer",
    "first_pass",
    "load_references",
    "process",
    "process_partition",
    "run",
    "score_frame",
    "score_with_model",
    "second_pass",
]
