# ruff: noqa: E501
from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from spiral.measurement import api as measurement_api
from spiral.measurement.imports import import_observations
from spiral.measurement.models import Measure, Observation, ObservationChange
from tests.assertions import assert_refuses_anonymous, bearer
from tests.factories import MeasureFactory, ObservationFactory, SeriesFactory

D = dt.date


class Api:
    def __init__(self, headers: dict[str, str]) -> None:
        self.client = Client()
        self.headers = headers

    def get(self, path: str, **params: Any):
        return self.client.get("/api/v1" + path, params, **self.headers)

    def send(self, method: str, path: str, body: Any):
        return getattr(self.client, method)(
            "/api/v1" + path, json.dumps(body), content_type="application/json", **self.headers
        )


@pytest.fixture
def member_api(member) -> Api:
    return Api(bearer(member))


@pytest.fixture
def leader_api(leader) -> Api:
    return Api(bearer(leader))


@pytest.fixture
def wait(tree):
    return MeasureFactory(code="WAIT", owner=tree["org"], is_indicator=True)


def test_measures_list_is_items_and_count(tree, member_api, wait):
    body = member_api.get("/measures", limit=10).json()
    assert body["count"] == 1
    assert body["items"][0]["code"] == "WAIT" and body["items"][0]["owner"] == "RAA"


def test_a_leader_defines_a_measure_and_a_percentage_target_is_refused(tree, leader_api):
    good = leader_api.send(
        "post", "/measures", {"code": "SEP", "name": "Sepsis", "owner": "RAA", "chart": "p", "target": 0.9}
    )
    assert good.status_code == 201 and good.json()["targets"] == [{"value": 0.9, "valid_from": None}]
    bad = leader_api.send(
        "post", "/measures", {"code": "SEP2", "name": "Sepsis", "owner": "RAA", "chart": "p", "target": "95%"}
    )
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "target" and "write 0.95" in bad.json()["errors"][0]["message"]


def test_a_member_may_not_define_measures(tree, member_api):
    response = member_api.send("post", "/measures", {"code": "X", "name": "X", "owner": "RAA-MED-01"})
    assert response.status_code == 403


def test_a_stale_measure_patch_gets_409_and_the_current_record(tree, leader_api, wait):
    first = leader_api.send("patch", f"/measures/{wait.pk}", {"name": "Waiting", "version": 1})
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = leader_api.send("patch", f"/measures/{wait.pk}", {"name": "Again", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["current"]["name"] == "Waiting" and stale.json()["errors"][0]["field"] == "version"


def test_bulk_upsert_writes_and_reports_like_the_import(tree, member_api, wait):
    rows = [
        {"unit": "RAA-MED-01", "measure": "WAIT", "period": f"2025-{m:02d}", "value": m} for m in range(1, 4)
    ]
    response = member_api.send("post", "/observations", {"observations": rows})
    assert response.status_code == 200, response.content
    assert response.json()["added"] == 3 and response.json()["applied"]
    again = member_api.send("post", "/observations", {"observations": rows}).json()
    assert (again["added"], again["changed"], again["unchanged"]) == (0, 0, 3)
    series_id = Observation.objects.first().series_id
    analysis = member_api.get(f"/series/{series_id}/analysis").json()
    assert analysis["values"] == [1.0, 2.0, 3.0] and analysis["variation_icon"] == "common_cause"
    listed = member_api.get("/series", within="RAA").json()
    assert listed["count"] == 1 and listed["items"][0]["latest_value"] == 3


def test_bulk_upsert_rejects_with_the_same_messages_as_the_import_and_writes_nothing(tree, member_api, wait):
    rows = [
        {"unit": "RAA-MED-01", "measure": "WAIT", "period": "2025-01", "value": 1},
        {"unit": "RAA-MED-01", "measure": "WAIT", "period": "15/02/2025", "value": 2},
    ]
    response = member_api.send("post", "/observations", {"observations": rows})
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == [
        {
            "field": "observations[1].period",
            "message": "'15/02/2025' is not the start of a month; this measure is monthly: give the first day of the period (01/02/2025) or 2025-02",
        }
    ]
    assert not Observation.objects.exists()
    csv = "unit_code,measure_code,period,value\nRAA-MED-01,WAIT,2025-01,1\nRAA-MED-01,WAIT,15/02/2025,2\n"
    assert (
        import_observations(csv.encode(), by=None, filename="x.csv").rejected[0].message
        == body["errors"][0]["message"]
    )


def test_bulk_upsert_can_write_only_the_valid_rows(tree, member_api, wait):
    rows = [
        {"unit": "RAA-MED-01", "measure": "WAIT", "period": "2025-01", "value": 1},
        {"unit": "NOPE", "measure": "WAIT", "period": "2025-02", "value": 2},
    ]
    body = member_api.send("post", "/observations", {"observations": rows, "valid_only": True}).json()
    assert body["applied"] and body["added"] == 1 and body["rejected"][0]["field"] == "observations[1].unit"


def test_bulk_upsert_refuses_more_than_the_limit(tree, member_api, wait, monkeypatch):
    monkeypatch.setattr(measurement_api, "MAX_OBSERVATIONS", 2)
    rows = [
        {"unit": "RAA-MED-01", "measure": "WAIT", "period": f"2025-{m:02d}", "value": m} for m in range(1, 4)
    ]
    response = member_api.send("post", "/observations", {"observations": rows})
    assert response.status_code == 413
    assert "at most 2 go in one request" in response.json()["detail"]
    assert not Observation.objects.exists()


def test_the_real_limit_is_fifty_thousand():
    assert measurement_api.MAX_OBSERVATIONS == 50_000


def test_an_outsider_cannot_write_another_organisations_data(tree, outsider, wait):
    rows = [{"unit": "RAA-MED-01", "measure": "WAIT", "period": "2025-01", "value": 1}]
    body = Api(bearer(outsider)).send("post", "/observations", {"observations": rows}).json()
    assert "you may not record data for RAA-MED-01" in body["errors"][0]["message"]


def test_correcting_one_observation_keeps_history_and_stale_versions_get_409(tree, member_api, member, wait):
    series = SeriesFactory(measure=wait, unit=tree["team"])
    obs = ObservationFactory(series=series, period_start=D(2025, 1, 1), value=4)
    ok = member_api.send("patch", f"/observations/{obs.pk}", {"value": 5, "version": 1})
    assert ok.status_code == 200 and ok.json()["version"] == 2
    assert ObservationChange.objects.get(series=series).by == member
    stale = member_api.send("patch", f"/observations/{obs.pk}", {"value": 6, "version": 1})
    assert stale.status_code == 409 and stale.json()["current"]["value"] == 5
    gone = member_api.client.delete(f"/api/v1/observations/{obs.pk}", **member_api.headers)
    assert gone.status_code == 204 and not Observation.objects.exists()


def test_the_api_refuses_anonymous_callers(tree, wait):
    assert_refuses_anonymous("/api/v1/measures")
    assert_refuses_anonymous("/api/v1/observations", "post", {"observations": []})


def test_a_measure_is_found_by_id(tree, member_api, wait):
    assert member_api.get(f"/measures/{wait.pk}").json()["code"] == "WAIT"
    assert member_api.get("/measures/999999").status_code == 404
    assert Measure.objects.count() == 1


def test_an_outsider_may_not_change_another_organisations_measure(tree, outsider, wait):
    response = Api(bearer(outsider)).send("patch", f"/measures/{wait.pk}", {"name": "Mine now"})
    assert response.status_code == 403
    assert Measure.objects.get(pk=wait.pk).name != "Mine now"
