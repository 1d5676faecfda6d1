"""API writes are safe to retry: one transaction each (a 500 writes nothing), an `Idempotency-Key` replays
the first answer, natural keys refuse a duplicate with 409; `POST /adoptions` answers 201."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from spiral.core.models import IdempotencyKey
from spiral.knowledge.models import Adoption
from spiral.organisations.models import Role, Unit
from spiral.projects.models import Project
from tests.assertions import bearer
from tests.conftest import user_with_role
from tests.factories import ProjectFactory


@pytest.fixture
def lead(tree: dict[str, Unit]) -> Any:
    return user_with_role(Role.IMPROVEMENT_LEAD, tree["icb"])


@pytest.fixture
def source(tree: dict[str, Unit]) -> Project:
    return ProjectFactory(unit=tree["team"], title="Fewer falls at night")


def post(path: str, body: Any, headers: dict[str, str], key: str | None = None) -> Any:
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return Client().post(
        f"/api/v1{path}", json.dumps(body), content_type="application/json", **headers, **extra
    )


def test_adopting_a_project_answers_201_with_the_adoption_and_its_new_project(tree, lead, source):
    response = post("/adoptions", {"source_project": source.pk, "unit": "RBB-T1"}, bearer(lead))

    assert response.status_code == 201, response.content
    body = response.json()
    adoption = Adoption.objects.get()
    assert body["id"] == adoption.pk and body["unit"] == "RBB-T1"
    assert body["source_project"] == source.pk
    assert body["created_project"]["id"] == adoption.project_id == body["project"]
    assert body["created_project"]["title"] == "Adopting: Fewer falls at night"
    assert body["created_project"]["unit"] == "RBB-T1"


def test_retrying_an_adoption_with_the_same_key_replays_the_answer_and_adopts_once(tree, lead, source):
    headers = bearer(lead)
    body = {"source_project": source.pk, "unit": "RBB-T1"}

    first = post("/adoptions", body, headers, key='"2b1f9c8e-adopt"')
    again = post("/adoptions", body, headers, key='"2b1f9c8e-adopt"')

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Adoption.objects.count() == 1
    assert Project.objects.filter(title__startswith="Adopting").count() == 1


def test_reusing_a_key_with_a_different_body_is_a_422_and_writes_nothing(tree, lead, source):
    headers = bearer(lead)
    post("/adoptions", {"source_project": source.pk, "unit": "RBB-T1"}, headers, key="k-1")

    response = post("/adoptions", {"source_project": source.pk, "unit": "RAA"}, headers, key="k-1")

    assert response.status_code == 422
    assert "different request" in response.json()["detail"]
    assert Adoption.objects.count() == 1


def test_a_key_is_scoped_to_the_person_method_and_path(tree, lead, source):
    other = user_with_role(Role.IMPROVEMENT_LEAD, tree["icb"])
    body = {"source_project": source.pk, "unit": "RBB-T1"}
    post("/adoptions", body, bearer(lead), key="shared")

    response = post("/adoptions", body, bearer(other), key="shared")

    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Adoption.objects.count() == 2


def test_a_stored_answer_expires_after_24_hours(tree, lead, source):
    headers = bearer(lead)
    body = {"source_project": source.pk, "unit": "RBB-T1"}
    post("/adoptions", body, headers, key="old")
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))

    response = post("/adoptions", body, headers, key="old")

    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Adoption.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1


def test_a_failed_write_is_not_stored_so_a_corrected_retry_runs(tree, lead, source):
    headers = bearer(lead)
    refused = post("/adoptions", {"source_project": source.pk, "unit": "NOPE"}, headers, key="fix-me")
    assert refused.status_code == 404
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("key", ["", '""', "caf\u00e9", "x" * 256, "two words"])
def test_a_malformed_idempotency_key_is_a_400(tree, lead, source, key):
    response = post("/adoptions", {"source_project": source.pk, "unit": "RBB-T1"}, bearer(lead), key=key)
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not Adoption.objects.exists()


def test_a_write_that_fails_after_its_service_ran_leaves_nothing_behind(tree, lead, source, monkeypatch):
    from spiral.knowledge import api as knowledge_api

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the response could not be built")

    monkeypatch.setattr(knowledge_api, "project_detail", broken)
    response = post("/adoptions", {"source_project": source.pk, "unit": "RBB-T1"}, bearer(lead), key="k")

    assert response.status_code == 500
    assert response.json()["errors"] == []
    assert not Adoption.objects.exists()
    assert not Project.objects.filter(title__startswith="Adopting").exists()
    assert not IdempotencyKey.objects.exists()


def test_creating_a_measure_with_a_code_in_use_is_a_409(tree, lead):
    headers = bearer(user_with_role(Role.LEADER, tree["org"]))
    body = {"code": "FALLS-1", "name": "Falls", "owner": "RAA"}
    assert post("/measures", body, headers).status_code == 201

    response = post("/measures", body, headers)

    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "code"


def test_adding_someone_already_on_the_team_is_a_409(tree, source):
    headers = bearer(user_with_role(Role.LEADER, tree["org"]))
    person = user_with_role(Role.MEMBER, tree["team"])
    assert post(f"/projects/{source.pk}/team", {"user": person.email}, headers).status_code == 201

    response = post(f"/projects/{source.pk}/team", {"user": person.email}, headers)

    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "user"


def test_a_duplicate_mixed_with_other_errors_stays_a_400_listing_them_all(tree):
    headers = bearer(user_with_role(Role.LEADER, tree["org"]))
    response = post("/units", {"code": "RAA-MED", "name": " ", "kind": "team", "parent": "RAA"}, headers)
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} >= {"code", "name"}


def test_when_a_concurrent_retry_stores_its_answer_first_this_one_is_undone_and_replays_it(
    tree, lead, source, monkeypatch
):
    # Simulates the race: between this request's look-up and its store, a concurrent request with the
    # same key committed its answer. The unique constraint refuses the second store: its adoption is
    # rolled back and it answers with the first one's answer.
    from spiral.knowledge import api as knowledge_api

    real_adopt = knowledge_api.services.adopt
    winner = {"detail": "stored by the request that won"}

    def adopt_while_another_wins(**kwargs: Any) -> Any:
        adoption = real_adopt(**kwargs)
        IdempotencyKey.objects.create(
            user=lead, key="race", method="POST", path="/api/v1/adoptions",
            fingerprint=hashlib.sha256(body.encode()).hexdigest(), status=201,
            content_type="application/json", body=json.dumps(winner), created_at=timezone.now(),
        )  # fmt: skip
        return adoption

    monkeypatch.setattr(knowledge_api.services, "adopt", adopt_while_another_wins)
    body = json.dumps({"source_project": source.pk, "unit": "RBB-T1"})
    response = Client().post(
        "/api/v1/adoptions", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="race",
        **bearer(lead),
    )  # fmt: skip

    assert response.status_code == 201
    assert response.json() == winner
    assert response["Idempotent-Replayed"] == "true"
    assert not Adoption.objects.exists()


def test_a_retried_delete_with_the_same_key_replays_its_204_instead_of_a_404(tree):
    from spiral.organisations.models import Membership

    headers = bearer(user_with_role(Role.LEADER, tree["org"]))
    membership = Membership.objects.get(user=user_with_role(Role.MEMBER, tree["team"]))
    path = f"/api/v1/memberships/{membership.pk}"

    first = Client().delete(path, HTTP_IDEMPOTENCY_KEY="del-1", **headers)
    again = Client().delete(path, HTTP_IDEMPOTENCY_KEY="del-1", **headers)
    without_key = Client().delete(path, **headers)

    assert (first.status_code, again.status_code, without_key.status_code) == (204, 204, 404)
    assert again["Idempotent-Replayed"] == "true"
