"""Geography.

Geodesy, distance to shore and to port, maritime zones (EEZ, high seas), track
arithmetic.
"""
