"""Transitional: ``_record`` moved to :mod:`tests.alerts.test_persistence` (issue 13).

``tests/test_api.py`` and ``tests/test_cli_review.py`` still import it from here; this
module goes once they import it from its new home. It holds no tests.
"""

from tests.alerts.test_persistence import _record

__all__ = ["_record"]
