"""The decision log: what, why, options, evidence, who decided, review date; due decisions are shown."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from spiral.core.models import AuditEvent
from spiral.priorities import queries, services
from spiral.priorities.models import Decision
from tests.assertions import bearer
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

DECIDED = {"what": "Daily safety huddle on every ward", "why": "Falls rose after the winter",
           "decided_by": "The board", "decided_on": dt.date(2025, 11, 14)}  # fmt: skip


def test_a_decision_is_logged_with_its_evidence_and_audited(tree, goal, indicator, org_leader):
    decision = services.log_decision(unit=tree["org"], by=org_leader, measures=[indicator], goals=[goal],
                                     review_on=dt.date(2026, 5, 1), **DECIDED)  # fmt: skip
    assert list(decision.measures.all()) == [indicator] and list(decision.goals.all()) == [goal]
    assert AuditEvent.objects.filter(action="decision.log", actor=org_leader).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [({"what": ""}, "what"), ({"why": " "}, "why"), ({"decided_by": ""}, "decided_by"),
     ({"decided_on": dt.date(1066, 10, 14)}, "decided_on"), ({"review_on": dt.date(2025, 1, 1)}, "review_on"),
     ({"why": "Ring 07700 900123 for details"}, "why"), ({"what": "x" * 201}, "what")],
)  # fmt: skip
def test_a_bad_decision_is_refused_and_nothing_is_written(tree, change, field):
    with pytest.raises(ValidationError) as refused:
        services.log_decision(unit=tree["org"], by=None, **(DECIDED | change))
    assert field in refused.value.message_dict
    assert not Decision.objects.exists()


def test_decisions_past_their_review_date_are_due(tree, member):
    services.log_decision(unit=tree["team"], by=None, review_on=dt.date(2025, 12, 1), **DECIDED)
    services.log_decision(
        unit=tree["org"], by=None, review_on=dt.date(2030, 1, 1), **DECIDED | {"what": "Later"}
    )
    due = queries.due_for_review(member, tree["org"], today=dt.date(2026, 1, 1))
    assert [d.unit for d in due] == [tree["team"]]  # the team's decision, beneath the organisation
    page = client_for(member).get(f"/priorities/units/{tree['org'].code}/decisions/").content.decode()
    assert "Due for review" in page and "Later" in page


def test_a_leader_logs_a_decision_on_the_page_and_a_member_may_not(tree, indicator, org_leader, member):
    path = f"/priorities/units/{tree['org'].code}/decisions/new/"
    assert client_for(member).get(path).status_code == 403
    bad = client_for(org_leader).post(path, {"what": "Huddles", "why": "Falls", "decided_by": "Board",
                                             "decided_on": "14/11/2025", "projects": "12a"})  # fmt: skip
    assert bad.status_code == 200 and 'href="#id_projects"' in bad.content.decode()
    unknown = client_for(org_leader).post(path, {"what": "Huddles", "why": "Falls", "decided_by": "Board",
                                                 "decided_on": "14/11/2025", "measures": "NOPE"})  # fmt: skip
    assert unknown.status_code == 200 and "No measure has the code" in unknown.content.decode()
    good = client_for(org_leader).post(path, {"what": "Huddles", "why": "Falls", "decided_by": "Board",
                                              "decided_on": "14/11/2025", "measures": "FALLS"})  # fmt: skip
    assert good.status_code == 302 and Decision.objects.get().measures.get() == indicator


def test_the_api_logs_and_lists_decisions(tree, goal, org_leader, member):
    body = {"unit": "RAA", "what": "Huddles", "why": "Falls rose", "decided_by": "The board",
            "decided_on": "2025-11-14", "review_on": "2025-12-01", "goals": [goal.pk]}  # fmt: skip
    made = Client().post(
        "/api/v1/decisions", json.dumps(body), content_type="application/json", **bearer(org_leader)
    )
    assert made.status_code == 201 and made.json()["goals"] == [goal.pk]
    refused = Client().post(
        "/api/v1/decisions", json.dumps(body), content_type="application/json", **bearer(member)
    )
    assert refused.status_code == 403
    bad = Client().post("/api/v1/decisions", json.dumps(body | {"decided_on": "14th Nov"}),
                        content_type="application/json", **bearer(org_leader))  # fmt: skip
    assert bad.status_code == 422
    listed = Client().get("/api/v1/decisions?unit=RAA&due=true", **bearer(member)).json()
    assert [d["what"] for d in listed["items"]] == ["Huddles"] and listed["items"][0]["due"] is True
    assert Decision.objects.count() == 1
