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
"""

__version__ = "0.1.0"
