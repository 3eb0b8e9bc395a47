"""Vessel identity.

MMSI validity and flag (MID), transmitter tracks, identity history, reference lists
(IUU, carriers).
"""
