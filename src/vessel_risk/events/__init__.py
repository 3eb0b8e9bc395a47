"""Events on a vessel's track.

Cleaning, port visits, voyages, AIS gaps, loitering, encounters, fishing hours.
"""
