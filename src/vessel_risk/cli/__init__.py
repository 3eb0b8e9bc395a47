"""The ``vessel-risk`` command line (console script ``vessel_risk.cli:app``).

One module per command group: ``run`` (the main job), ``ingest`` (AIS files into the
position store), ``models`` (train, evaluate, promote, train-fishing), ``deliver`` (the
delivery worker), ``serve`` (REST API and dashboard), ``alerts``, ``notices``,
``agencies`` and ``clients`` (review and referral on the database). ``app`` wires them;
``database`` opens the database the commands work on; ``terminal`` prints. The commands
parse arguments and print; the rules they apply live in the packages they call.
"""

from vessel_risk.cli.app import app

__all__ = ["app"]
