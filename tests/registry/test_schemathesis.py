"""Property-based API fuzzing from the app's own OpenAPI document: no request may cause a 500."""

from __future__ import annotations

import warnings
from typing import Any

from hypothesis import HealthCheck, given, settings
from registry_helpers import Registry, add_users, flow_to_screened

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from schemathesis.checks import not_a_server_error

EXAMPLES_PER_OPERATION = 20


def _fuzz(operation: Any, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    run()


def test_no_server_errors(registry: Registry) -> None:
    headers = add_users(registry)
    flow_to_screened(registry)  # SE-STO-0001 exists, so some generated paths reach the services
    schema = schemathesis.openapi.from_asgi("/openapi.json", registry.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        for role in ("office", "staff"):
            _fuzz(operation, headers[role])
