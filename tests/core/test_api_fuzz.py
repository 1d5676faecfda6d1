"""Fuzzing the whole API against its own OpenAPI schema (schemathesis, in-process, in the normal suite).

Every operation (GET and every write), as three roles (a team member, an improvement lead of the trust,
an administrator of the nation) with bearer tokens, on a small world of real records: valid and invalid
input (schemathesis' positive and negative modes), path ids that exist half the time, and stateful
sequences along the links schemathesis infers from the schema (create → get → patch → delete). Checks:
no server error, the status is one the operation documents, and the body conforms to the documented
schema (errors to ErrorOut). Bounded: a few examples per operation and role, derandomised, no deadline,
so the whole file takes a minute or two on two cores.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the `test` extra")

from django.core.signals import request_finished, request_started  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import close_old_connections  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    response_schema_conformance,
    status_code_conformance,
)

from spiral.knowledge import services as knowledge_services  # noqa: E402
from spiral.measurement.models import Observation  # noqa: E402
from spiral.organisations.models import Membership, Role, Unit, User  # noqa: E402
from spiral.projects import services as project_services  # noqa: E402
from tests.assertions import bearer  # noqa: E402
from tests.conftest import user_with_role  # noqa: E402
from tests.factories import (  # noqa: E402
    CommunityFactory,
    FeedbackFormFactory,
    MeasureFactory,
    ObservationFactory,
    ResourceFactory,
    SeriesFactory,
)


def _application() -> Any:
    django_app = get_wsgi_application()

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        # Every real server sets the client's address; schemathesis' WSGI client does not.
        environ.setdefault("REMOTE_ADDR", "127.0.0.1")
        return django_app(environ, start_response)

    return app


SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _application())
OPERATIONS = [op.ok() for op in SCHEMA.get_all_operations()]
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
ROLES = ("member", "improvement_lead", "admin")
# A few per operation and role in the suite; SPIRAL_FUZZ_EXAMPLES=100 for a deeper run by hand.
EXAMPLES = int(os.environ.get("SPIRAL_FUZZ_EXAMPLES", "6"))

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests here go through the WSGI handler, not Django's test client, which would otherwise close
    the test's database connection (inside its transaction) at the end of every request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_throttle(monkeypatch):
    # The per-person rate limit (600 a minute) would turn most of a fuzz run into 429s.
    from ninja.throttling import AuthRateThrottle

    monkeypatch.setattr(AuthRateThrottle, "allow_request", lambda self, request: True)


@pytest.fixture
def world(tree: dict[str, Unit]) -> dict[str, Any]:
    """One of each kind of record, in the member's team, so path ids can name something real."""
    lead = user_with_role(Role.IMPROVEMENT_LEAD, tree["org"])
    project = project_services.create_project(
        unit=tree["team"], title="Fewer falls", aim="Halve falls by March", status="active", by=lead
    )
    idea = project_services.create_change_idea(project=project, title="Falls huddle", by=lead)
    cycle = project_services.create_cycle(project=project, change_idea=idea, objective="Try it", by=lead)
    measure = MeasureFactory(owner=tree["org"], code="FALLS", is_indicator=True)
    series = SeriesFactory(measure=measure, unit=tree["team"])
    observation: Observation = ObservationFactory(series=series)
    link = project_services.link_series(project=project, series=series, role="outcome", by=lead)
    community = CommunityFactory(unit=tree["org"])
    knowledge_services.join_community(community=community, by=lead)
    thread = knowledge_services.start_thread(community=community, title="Hello", body="Hi all", by=lead)
    resource = ResourceFactory(unit=tree["org"])
    form = FeedbackFormFactory(unit=tree["org"])
    field_test = knowledge_services.create_field_test(
        sponsor=tree["org"], title="Huddles", change_idea="A daily huddle", measure=measure,
        starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 12, 31), by=lead,
    )  # fmt: skip
    member = user_with_role(Role.MEMBER, tree["team"])
    team_member = project_services.add_team_member(project=project, user=member, role="member", by=lead)
    return {
        "lead": lead,
        "member": member,
        "admin": user_with_role(Role.ADMIN, tree["nation"]),
        "path": {
            "code": "RAA-MED-01",
            "project_id": project.pk,
            "pk": project.pk,
            "cycle_id": cycle.pk,
            "member_id": team_member.pk,
            "link_id": link.pk,
            "measure_id": measure.pk,
            "measure_code": "FALLS",
            "series_id": series.pk,
            "observation_id": observation.pk,
            "membership_id": Membership.objects.filter(user=member).first().pk,
            "person_id": member.pk,
            "slug": form.slug,
        },
        "pk_by_prefix": {
            "/communities/": community.pk,
            "/threads/": thread.pk,
            "/resources/": resource.pk,
            "/field-tests/": field_test.pk,
        },
    }


def _actor(world: dict[str, Any], role: str) -> User:
    return {"member": world["member"], "improvement_lead": world["lead"], "admin": world["admin"]}[role]


def _real_path_parameters(operation: Any, world: dict[str, Any]) -> dict[str, Any]:
    known = dict(world["path"])
    for prefix, pk in world["pk_by_prefix"].items():
        if operation.path.startswith(prefix):
            known["pk"] = pk
    names = {p.name for p in operation.path_parameters}
    return {name: known[name] for name in names if name in known}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_no_operation_answers_a_server_error_or_off_its_schema(world, role, operation):
    headers = {"Authorization": bearer(_actor(world, role))["HTTP_AUTHORIZATION"]}
    real = _real_path_parameters(operation, world)
    modes = st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    cases = modes.flatmap(lambda mode: operation.as_strategy(generation_mode=mode))

    @given(case=cases, use_real_ids=st.booleans())
    @FUZZ_SETTINGS
    def check(case: Any, use_real_ids: bool) -> None:
        if use_real_ids and real:
            case.path_parameters = {**(case.path_parameters or {}), **real}
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()


@pytest.mark.parametrize("role", ROLES)
def test_sequences_of_calls_along_the_schema_links_stay_within_the_schema(world, role):
    headers = {"Authorization": bearer(_actor(world, role))["HTTP_AUTHORIZATION"]}

    statuses: list[int] = []

    class Machine(SCHEMA.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            statuses.append(response.status_code)
            case.validate_response(response, checks=CHECKS, headers=headers)

    Machine.run(
        settings=settings(
            max_examples=max(20, EXAMPLES),
            stateful_step_count=8,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    # The sequences reached real records: some calls along the links succeeded.
    assert sum(200 <= status < 300 for status in statuses) >= 5, statuses


def test_the_schema_gives_schemathesis_links_from_each_create_to_what_reads_and_changes_it():
    """The stateful test above is only worth running if create → get/patch/delete links exist."""
    rules = set(dir(SCHEMA.as_state_machine()))
    for create, then in [
        ("POST_api_v1_units___201", "GET_api_v1_units_code_"),
        ("POST_api_v1_units___201", "PATCH_api_v1_units_code_"),
        ("POST_api_v1_projects___201", "PATCH_api_v1_projects_project_id_"),
        ("POST_api_v1_memberships___201", "DELETE_api_v1_memberships_membership_id_"),
        ("POST_api_v1_measures___201", "GET_api_v1_measures_measure_id_"),
        ("POST_api_v1_projects_project_id_pdsa_cycles___201", "PATCH_api_v1_pdsa_cycles_cycle_id_"),
        ("POST_api_v1_resources___201", "PATCH_api_v1_resources_pk_"),
    ]:
        assert any(r.startswith(create) and r.endswith(then) for r in rules), (create, then)
