"""vessel-risk: forced-labour risk of fishing vessels from AIS, as evidence to check.

The package is organised by concept of the domain: :mod:`ingest`, :mod:`clean`,
:mod:`port_visits`, :mod:`voyages`, :mod:`gaps`, :mod:`identity`, :mod:`features`,
:mod:`indicators` (the transparent cold-start score), :mod:`alerts`, :mod:`store`
(database) and :mod:`report`. Orchestration and I/O live in :mod:`pipeline` and
:mod:`cli`.
"""

__version__ = "0.1.0"
