"""Logs hold events and ids, never free text from people (STYLE.md, "Logging"): a distinctive phrase written
into a feedback answer and a project goes into the database, and into no log record at all."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from spiral.projects.models import Project
from spiral.voice.models import Answer
from tests.assertions import bearer
from tests.conftest import user_with_role
from tests.factories import FeedbackFormFactory

PHRASE = "marmalade zeppelin quandary"


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    """Each record's message, arguments and extra attributes, as one text."""
    return "\n".join(f"{r.getMessage()} {r.args!r} {vars(r)!r}" for r in caplog.records)


def test_a_feedback_answer_leaves_no_free_text_in_the_logs(tree, caplog):
    form = FeedbackFormFactory(unit=tree["team"])
    caplog.set_level(logging.DEBUG)
    response = Client().post(
        f"/f/{form.slug}/", {"rating": "good", "good": f"The {PHRASE} nurses", "better": f"More {PHRASE}"}
    )
    assert response.status_code == 200
    assert PHRASE in Answer.objects.get().good  # it was kept: the test could fail
    assert any(r.getMessage().startswith("voice.answer ") for r in caplog.records)  # and logs were captured
    assert PHRASE not in everything_logged(caplog)


def test_an_answer_through_the_api_leaves_no_free_text_in_the_logs(tree, caplog):
    form = FeedbackFormFactory(unit=tree["team"])
    caplog.set_level(logging.DEBUG)
    response = Client().post(
        f"/api/v1/feedback/forms/{form.slug}/responses",
        {"rating": "poor", "better": f"Fix the {PHRASE}"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert PHRASE not in everything_logged(caplog)


def test_creating_and_editing_a_project_leaves_no_free_text_in_the_logs(tree, caplog):
    lead = user_with_role("improvement_lead", tree["org"])
    headers = bearer(lead)
    caplog.set_level(logging.DEBUG)
    created = Client().post(
        "/api/v1/projects",
        json.dumps({"unit": "RAA-MED-01", "title": f"Falls {PHRASE}", "problem": f"Nights {PHRASE}"}),
        content_type="application/json",
        **headers,
    )
    assert created.status_code == 201, created.content
    project_id = created.json()["id"]
    edited = Client().patch(
        f"/api/v1/projects/{project_id}",
        json.dumps({"aim": f"Halve the {PHRASE} by March", "problem": f"Still {PHRASE}"}),
        content_type="application/json",
        **headers,
    )
    assert edited.status_code == 200, edited.content
    assert PHRASE in Project.objects.get(pk=project_id).aim
    assert any(r.getMessage().startswith("project.create ") for r in caplog.records)
    assert PHRASE not in everything_logged(caplog)


def test_a_refused_grant_is_logged_with_ids_only(tree, caplog):
    lead = user_with_role("improvement_lead", tree["org"])
    headers = bearer(lead)
    caplog.set_level(logging.DEBUG)
    body = {"user": lead.email, "unit": "RAA", "role": "admin"}
    Client().post("/api/v1/memberships", json.dumps(body), content_type="application/json", **headers)
    refused = [r for r in caplog.records if r.getMessage().startswith("membership.grant_refused ")]
    assert len(refused) == 1
    assert lead.email not in everything_logged(caplog)
    assert f"by_id={lead.pk}" in refused[0].getMessage()
