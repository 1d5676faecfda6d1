"""The demo: the promised size, consistent paths and the fixed sign-ins (determinism: test_demo_seed.py)."""

from __future__ import annotations

import pytest
from django.test import Client

from spiral.core.models import AuditEvent
from spiral.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from spiral.demo.builder import build_demo
from spiral.organisations.models import Membership, Unit, User, path_segment


def test_the_small_demo_has_the_promised_size(demo):
    counts = {kind: Unit.objects.filter(kind=kind).count() for kind in ("nation", "region", "icb")}
    assert counts == {"nation": 1, "region": 2, "icb": 4}
    assert 15 <= Unit.objects.filter(kind="organisation").count() <= 25
    assert 160 <= Unit.objects.filter(kind="team").count() <= 240
    assert 320 <= User.objects.count() <= 480


def test_every_units_path_extends_its_parents(demo):
    for unit in Unit.objects.select_related("parent"):
        parent_path = unit.parent.path if unit.parent else ""
        assert unit.path == parent_path + path_segment(unit.pk), unit.code
        assert unit.depth == (unit.parent.depth + 1 if unit.parent else 0), unit.code


def test_the_demo_is_audited(demo):
    assert AuditEvent.objects.filter(action="unit.create").count() == Unit.objects.count()
    assert AuditEvent.objects.filter(action="membership.add").count() == Membership.objects.count()


def test_new_rows_after_the_demo_get_fresh_ids(demo):
    # The demo writes explicit ids; the database's own sequences must have moved past them.
    parent = Unit.objects.filter(kind="directorate").first()
    unit = Unit.objects.create(code="NEW-1", name="New", kind="team", parent=parent, path="")
    user = User.objects.create_user("new.person@example.nhs.uk", display_name="New Person")
    assert unit.pk > max(Unit.objects.exclude(pk=unit.pk).values_list("pk", flat=True))
    assert user.pk > max(User.objects.exclude(pk=user.pk).values_list("pk", flat=True))


def test_the_eight_demo_sign_ins_exist_with_their_roles(demo):
    assert len(DEMO_ACCOUNTS) == 8
    where_kind = {"nation": "nation", "region": "region", "icb": "icb", "organisation": "organisation",
                  "team": "team"}  # fmt: skip
    for account in DEMO_ACCOUNTS:
        user = User.objects.get(email=account.email)
        roles = list(user.memberships.values_list("role", "unit__kind"))
        assert roles == [(account.role, where_kind[account.where])], account.email
        assert user.check_password(DEMO_PASSWORD)


def test_the_demo_sign_ins_share_one_organisation_and_its_team(demo):
    lead = User.objects.get(email="lead@example.com").memberships.get().unit
    board = User.objects.get(email="board@example.com").memberships.get().unit
    team = User.objects.get(email="team@example.com").memberships.get().unit
    region = User.objects.get(email="region@example.com").memberships.get().unit
    assert lead == board
    assert team.path.startswith(lead.path)
    assert lead.path.startswith(region.path)


@pytest.mark.parametrize("email", [a.email for a in DEMO_ACCOUNTS])
def test_each_demo_sign_in_works_with_the_demo_password(demo, email):
    client = Client()
    response = client.post("/sign-in/", {"username": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_the_demo_loads_only_into_an_empty_database(demo):
    with pytest.raises(RuntimeError):
        build_demo(size="small", seed=1)


def test_discharges_before_noon_is_offered_a_recalculation_from_its_first_pdsa_cycle(demo):
    """The demo's shift after a project's first PDSA cycle ('change tested' annotations) is suggested for
    recalculation (issue 14), from the first cycle's month, and nothing is recalculated on its own."""
    from spiral.measurement import analyses
    from spiral.measurement.models import Annotation, AnnotationKind, Series

    noon = list(
        Series.objects.select_related("measure", "unit")
        .filter(measure__name="Discharges before noon (%)", annotations__kind=AnnotationKind.CHANGE)
        .distinct()
    )
    assert noon, "the demo has a discharges-before-noon series with PDSA cycles"
    suggested = [(s, analyses.suggested_rebase(s)) for s in noon]
    offered = [(s, found) for s, found in suggested if found is not None]
    assert offered, "no discharges-before-noon series is offered a recalculation"
    for series, found in offered:
        first = series.annotations.filter(kind=AnnotationKind.CHANGE).order_by("period_start").first()
        assert first is not None
        assert found.annotation.kind == AnnotationKind.CHANGE
        assert found.period == first.period_start  # the first cycle: the demo's shift starts after it
    assert not Annotation.objects.filter(series__in=noon, kind=AnnotationKind.REBASE).exists()


def test_every_ward_and_team_in_the_demo_has_an_open_patient_feedback_form(demo):
    from spiral.voice.models import FeedbackForm

    teams = set(Unit.objects.filter(kind="team").values_list("pk", flat=True))
    with_form = set(
        FeedbackForm.objects.filter(unit__kind="team", audience="patient", is_open=True).values_list(
            "unit_id", flat=True
        )
    )
    assert teams and teams == with_form
    answered = FeedbackForm.objects.filter(unit__kind="team", answers__isnull=False).distinct().count()
    assert answered == len(teams)  # the small demo's team forms have answers and a chart


def test_the_demo_keeps_past_board_packs_of_organisations_an_icb_and_a_region(demo):
    from spiral.reporting.models import BoardPack, Trigger

    kinds = {
        kind: BoardPack.objects.filter(unit__kind=kind, trigger=Trigger.SCHEDULE)
        .values("month")
        .distinct()
        .count()
        for kind in ("organisation", "icb", "region")
    }
    assert kinds == {"organisation": 3, "icb": 3, "region": 3}
    assert BoardPack.objects.filter(unit__kind="organisation").values("unit").distinct().count() >= 2
    pack = BoardPack.objects.filter(unit__kind="region").first()
    with pack.file.open("rb") as kept:
        assert kept.read().decode().count("<h2") >= 3  # the kept HTML is a whole pack


def test_the_region_leader_sees_the_regions_past_packs_listed(demo):
    from spiral.reporting.models import BoardPack

    region = Unit.objects.get(memberships__user__email="region@example.com")
    client = Client()
    client.force_login(User.objects.get(email="region@example.com"))
    response = client.get(f"/reporting/units/{region.code}/board/")
    assert response.status_code == 200
    for pack in BoardPack.objects.filter(unit=region):
        assert f"/reporting/packs/{pack.pk}/" in response.content.decode()


def test_the_demo_has_years_of_closed_projects_whose_success_factors_show_findings_and_uncertainty(demo):
    import datetime as dt

    from django.utils import timezone

    from spiral.projects.models import DriverNode, PdsaCycle, Project, TeamMember
    from spiral.reporting.success import success_factors

    today = timezone.localdate()
    history = Project.objects.filter(
        status="closed",
        closed_on__lte=today - dt.timedelta(days=365),
        closed_on__gte=today - dt.timedelta(days=4 * 365),
    )
    ids = set(history.values_list("pk", flat=True))
    assert len(ids) >= 200
    diagrams = set(
        DriverNode.objects.filter(project__in=ids, kind="primary").values_list("project_id", flat=True)
    )
    assert 0 < len(diagrams) < len(ids)
    cycles = [PdsaCycle.objects.filter(project=pk).count() for pk in sorted(ids)[:120]]
    assert min(cycles) == 0 and max(cycles) >= 6 and max(cycles) <= 12
    partnered = set(
        TeamMember.objects.filter(project__in=ids, role="patient_partner").values_list(
            "project_id", flat=True
        )
    )
    coached = set(
        TeamMember.objects.filter(project__in=ids, role="coach").values_list("project_id", flat=True)
    )
    # Correlated as in life: partnered projects are more often coached.
    assert len(partnered & coached) / len(partnered) > len(coached - partnered) / len(ids - partnered)
    assert set(history.values_list("aim_achieved", flat=True)) == {"yes", "partly", "no"}
    for email, where in (("board@example.com", "organisation"), ("national@example.com", "nation")):
        user = User.objects.get(email=email)
        unit = Membership.objects.get(user=user).unit
        assert unit.kind == where
        result = success_factors(user, unit)
        rows = {row.factor: row for row in result.rows}
        assert result.fit is not None and result.fit.fitted, result.adjusted
        assert rows["patient_partner"].rr.is_finding
        assert any(not row.rr.is_finding and not row.rr.too_few for row in result.rows)  # uncertain ones
        assert any(row.rr.too_few for row in result.rows)
