"""Schemathesis against the app's own OpenAPI document: no server errors, and every
answer matches the schema (status code, content type, body, headers).

Examples are bounded (``MAX_EXAMPLES`` per operation) so the whole run stays well
under two minutes. The caller is the admin, so every operation is reachable; the
authorization matrix is ``test_access.py``.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.apikit import auth, seeded_sqlite_app

MAX_EXAMPLES = 20
CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    engine, app, _ = seeded_sqlite_app(tmp_path_factory.mktemp("schemathesis"))
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    engine.dispose()


def run_examples(op, headers: dict[str, str], examples: dict[str, int]):
    """A hypothesis test sending ``op`` ``MAX_EXAMPLES`` generated requests."""

    @given(case=op.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=[Phase.explicit, Phase.generate],
    )
    def check(case):
        response = case.call(headers=headers)
        examples[op.label] = examples.get(op.label, 0) + 1
        assert response.status_code < 500, (op.label, response.text)
        case.validate_response(response, checks=CHECKS, headers=headers)

    return check


def test_api_conforms_to_its_openapi(api_schema):
    """Every operation, positive and negative examples: no 5xx, no schema violation."""
    headers = auth("admin")
    operations = [r.ok() for r in api_schema.get_all_operations()]
    examples: dict[str, int] = {}
    for op in operations:
        run_examples(op, headers, examples)()
    assert len(operations) >= 20
    assert set(examples) == {op.label for op in operations}
    print(f"schemathesis: {sum(examples.values())} examples over {len(operations)} operations")
