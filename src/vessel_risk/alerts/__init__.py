"""Alerts: built from scores, exported (CSV, GeoJSON), and their review lifecycle."""
