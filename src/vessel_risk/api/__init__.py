"""The HTTP service: REST API with per-agency access and the web dashboard.

:func:`create_app` is the factory; ``api/main.py`` at the top of the checkout is the
ASGI entrypoint and ``vessel-risk serve`` starts it.
"""

from vessel_risk.api.app import create_app

__all__ = ["create_app"]
