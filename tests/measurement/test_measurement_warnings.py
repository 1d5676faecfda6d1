"""Charts that warn, stored: Analysis.warnings is filled by every way an analysis is computed (one series,
the bulk recomputation's batches and its one-by-one path) and the API carries it."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from spiral.measurement import analyses
from spiral.measurement.models import Analysis, AnnotationKind
from tests.assertions import bearer
from tests.factories import MeasureFactory, ObservationFactory, SeriesFactory, _month

pytestmark = pytest.mark.django_db


def _p_series(owner, shares):
    series = SeriesFactory(measure=MeasureFactory(owner=owner, chart="p", is_indicator=True))
    for k, share in enumerate(shares):
        ObservationFactory(
            series=series, period_start=_month(k), value=None, numerator=share * 20000, denominator=20000
        )
    return series


OVERDISPERSED = [
    0.80,
    0.76,
    0.83,
    0.78,
    0.81,
    0.75,
    0.84,
    0.79,
    0.77,
    0.82,
    0.80,
    0.74,
    0.85,
    0.79,
    0.81,
    0.77,
]


def test_recompute_stores_overdispersion_on_a_p_chart_and_nothing_on_a_steady_xmr(tree) -> None:
    p = _p_series(tree["org"], OVERDISPERSED)
    xmr = SeriesFactory(measure=MeasureFactory(owner=tree["org"]))
    for k in range(15):
        ObservationFactory(series=xmr, period_start=_month(k), value=10 + (k % 3))

    analyses.recompute([p.pk, xmr.pk])

    (warning,) = Analysis.objects.get(series=p).warnings
    assert warning["code"] == "overdispersion" and warning["suggested_chart"] == "pprime"
    assert warning["message"].startswith("The points vary far more than a p chart expects")
    assert Analysis.objects.get(series=xmr).warnings == []


def test_store_one_and_the_one_by_one_path_agree_with_the_batch(tree) -> None:
    p = _p_series(tree["org"], OVERDISPERSED)
    analyses.recompute([p.pk])
    batch = Analysis.objects.get(series=p).warnings

    assert analyses.store_one(p).warnings == batch
    p.annotations.create(period_start=_month(8), kind=AnnotationKind.REBASE, text="new pathway")
    analyses.recompute([p.pk])  # a rebase sends the series down the one-by-one path
    assert Analysis.objects.get(series=p).warnings == batch


def test_mostly_zero_and_too_few_points_are_stored(tree) -> None:
    zeros = SeriesFactory(measure=MeasureFactory(owner=tree["org"]))
    for k in range(14):
        ObservationFactory(series=zeros, period_start=_month(k), value=1 if k % 5 == 0 else 0)
    short = SeriesFactory(measure=MeasureFactory(owner=tree["org"]))
    for k in range(5):
        ObservationFactory(series=short, period_start=_month(k), value=k)

    analyses.recompute([zeros.pk, short.pk])

    assert [w["code"] for w in Analysis.objects.get(series=zeros).warnings] == ["mostly_zero"]
    assert [w["code"] for w in Analysis.objects.get(series=short).warnings] == ["too_few_points"]


def test_the_api_gives_the_warnings_with_the_series_and_the_analysis(tree, member) -> None:
    p = _p_series(tree["org"], OVERDISPERSED)
    analyses.recompute([p.pk])
    client, headers = Client(), bearer(member)

    one = client.get(f"/api/v1/series/{p.pk}", **headers)
    full = client.get(f"/api/v1/series/{p.pk}/analysis", **headers)

    assert one.status_code == 200 and full.status_code == 200
    assert [w["code"] for w in one.json()["warnings"]] == ["overdispersion"]
    assert one.json()["warnings"][0]["suggested_chart"] == "pprime"
    assert full.json()["warnings"] == one.json()["warnings"]
    schema = client.get("/api/v1/openapi.json").json()
    assert "warnings" in schema["components"]["schemas"]["SeriesOut"]["properties"]


def test_the_series_page_names_the_problem_and_the_suggested_chart(tree, member) -> None:
    from tests.conftest import client_for

    p = _p_series(tree["org"], OVERDISPERSED)
    steady = _p_series(
        tree["org"], [0.80, 0.801, 0.799, 0.8, 0.802, 0.798, 0.8, 0.801, 0.799, 0.8, 0.8, 0.8, 0.8]
    )

    page = client_for(member).get(f"/measures/series/{p.pk}/").content.decode()
    calm = client_for(member).get(f"/measures/series/{steady.pk}/").content.decode()

    assert 'data-code="overdispersion"' in page and "The points vary far more than a p chart expects" in page
    assert "Suggested chart: " in page and "Laney" in page.split("Suggested chart: ")[1][:40]
    assert "spiral-chart-warning" not in calm


def test_the_measures_page_marks_a_row_whose_chart_may_mislead(tree, member) -> None:
    from tests.conftest import client_for

    p = _p_series(tree["org"], OVERDISPERSED)
    analyses.recompute([p.pk])

    page = client_for(member).get(f"/measures/units/{tree['org'].code}/").content.decode()

    assert page.count("Chart may mislead") == 1


# --- the one-click change to the suggested chart -----------------------------------------------------


def test_a_person_who_may_change_the_measure_swaps_to_the_suggested_chart(tree, leader) -> None:
    from spiral.core.models import AuditEvent
    from tests.conftest import client_for

    p = _p_series(tree["org"], OVERDISPERSED)  # an A&E-like share of 20,000 attendances a month
    client = client_for(leader)

    page = client.get(f"/measures/series/{p.pk}/").content.decode()
    assert "Use a p′ chart instead" in page
    assert f'action="/measures/series/{p.pk}/chart/"' in page and "csrfmiddlewaretoken" in page

    response = client.post(
        f"/measures/series/{p.pk}/chart/", {"chart": "pprime", "version": p.measure.version}, follow=True
    )

    p.measure.refresh_from_db()
    assert p.measure.chart == "pprime"
    event = AuditEvent.objects.get(action="measure.update", object_id=str(p.measure.pk))
    assert event.actor == leader and "chart" in event.changes
    assert response.redirect_chain == [(f"/measures/series/{p.pk}/", 302)]
    after = response.content.decode()
    assert "The chart is now a p′ chart; its analyses are being recalculated." in after
    assert 'data-code="overdispersion"' not in after and "Use a p′ chart instead" not in after
    analyses.recompute([p.pk])
    assert Analysis.objects.get(series=p).warnings == []


def test_a_viewer_without_the_permission_gets_no_button_and_403(tree, member) -> None:
    from tests.conftest import client_for

    p = _p_series(tree["org"], OVERDISPERSED)
    client = client_for(member)

    page = client.get(f"/measures/series/{p.pk}/").content.decode()
    refused = client.post(f"/measures/series/{p.pk}/chart/", {"chart": "pprime"})

    assert 'data-code="overdispersion"' in page and "instead" not in page
    assert refused.status_code == 403
    p.measure.refresh_from_db()
    assert p.measure.chart == "p"


@pytest.mark.parametrize(
    ("chart", "says"),
    [
        ("bogus", "'bogus' is not a chart Spiral draws"),
        ("", "'' is not a chart Spiral draws"),
        ("xmr", "a xmr chart needs values"),  # observations are numerators and denominators
    ],
)
def test_a_bad_chart_is_refused_with_a_message_and_nothing_changes(tree, leader, chart, says) -> None:
    from spiral.core.models import AuditEvent
    from tests.conftest import client_for

    p = _p_series(tree["org"], OVERDISPERSED)

    response = client_for(leader).post(f"/measures/series/{p.pk}/chart/", {"chart": chart}, follow=True)

    text = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "The chart was not changed" in text and says in text
    p.measure.refresh_from_db()
    assert p.measure.chart == "p"
    assert not AuditEvent.objects.filter(action="measure.update").exists()


def test_a_stale_version_is_refused_and_nothing_changes(tree, leader) -> None:
    from tests.conftest import client_for

    p = _p_series(tree["org"], OVERDISPERSED)
    stale = p.measure.version - 1 if p.measure.version > 1 else p.measure.version + 7

    response = client_for(leader).post(
        f"/measures/series/{p.pk}/chart/", {"chart": "pprime", "version": stale}, follow=True
    )

    assert "someone changed" in response.content.decode()
    p.measure.refresh_from_db()
    assert p.measure.chart == "p"


def test_the_chart_address_wants_a_post_and_an_existing_series(tree, leader) -> None:
    from tests.conftest import client_for

    p = _p_series(tree["org"], OVERDISPERSED)
    client = client_for(leader)

    assert client.get(f"/measures/series/{p.pk}/chart/").status_code == 405
    assert client.post("/measures/series/999999/chart/", {"chart": "pprime"}).status_code == 404
