"""Vessel-year features (GFW's forced-labour table) and their catalogue.

Names, units, meaning, ILO indicator.
"""
