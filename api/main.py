"""ASGI entrypoint: ``uvicorn api.main:app`` (settings from ``VESSEL_RISK_*``).

The database must be migrated first (``vessel-risk run`` or ``vessel-risk serve`` do it).
"""

from vessel_risk.api import create_app
from vessel_risk.logs import configure_logging
from vessel_risk.settings import Settings

configure_logging()
app = create_app(Settings())
