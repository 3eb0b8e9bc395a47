"""``python -m vessel_risk`` runs the command line."""

from vessel_risk.cli import app

app()
