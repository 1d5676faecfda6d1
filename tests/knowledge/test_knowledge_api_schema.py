"""Property-based checks of the knowledge API against its OpenAPI schema (schemathesis, in-process).

Only the GET endpoints, a few examples each: whatever the path and query, the API answers without a
server error, and errors come in the documented shape.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the `test` extra")

from django.core.signals import request_finished, request_started  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import close_old_connections  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402

from spiral.knowledge import search  # noqa: E402
from tests.assertions import bearer  # noqa: E402
from tests.factories import ProjectFactory  # noqa: E402

# The knowledge router's endpoints: search above all must never fail, whatever is typed.
SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application()).include(
    method="GET", tag="knowledge"
)
OPERATIONS = [op.ok() for op in SCHEMA.get_all_operations()]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests here go through the WSGI handler, not Django's test client, which would otherwise close
    the test's database connection (inside its transaction) at the end of every request, as Django's
    own test client avoids doing."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_knowledge_get_endpoints_never_answer_with_a_server_error(tree, member, operation):
    ProjectFactory(unit=tree["team"], title="Inpatient falls reduction", aim="Halve falls")
    search.rebuild(embed=False)
    headers = {"Authorization": bearer(member)["HTTP_AUTHORIZATION"]}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=10,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def check(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} {case.query}: {response.text}"
        )
        if response.status_code >= 400:
            body = response.json()
            assert isinstance(body["detail"], str) and isinstance(body["errors"], list)

    check()
