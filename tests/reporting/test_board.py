"""The board pack (issue 19): made on demand and on the schedule as background work, kept and listed; its
numbers are the pages' numbers; accessible HTML (headings, real tables, charts with text alternatives)."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.utils import timezone

from spiral.capability.models import TrainingTier
from spiral.core.models import AuditEvent, Job
from spiral.measurement import analyses
from spiral.organisations.models import Role, Unit, User
from spiral.reporting import documents, services
from spiral.reporting.models import BoardPack, BoardSchedule
from tests.conftest import client_for, user_with_role
from tests.factories import (
    HeadcountFactory,
    MeasureFactory,
    ObservationFactory,
    ProjectFactory,
    SeriesFactory,
    TeamMemberFactory,
    TrainingRecordFactory,
)


@pytest.fixture
def board_data(tree: dict[str, Unit]) -> dict[str, object]:
    series = SeriesFactory(
        measure=MeasureFactory(owner=tree["org"], name="Falls per 1,000 bed days"), unit=tree["org"]
    )
    for i, v in enumerate([5, 6, 5, 7, 6, 5, 6, 5, 6, 7, 5, 6]):
        ObservationFactory(series=series, period_start=dt.date(2025, i + 1, 1), value=v)
    analyses.recompute([series.pk])
    for _ in range(3):
        TeamMemberFactory(project=ProjectFactory(unit=tree["team"]), role="coach")
    # Capability: 200 staff in post this month, two people through awareness training in the last year.
    HeadcountFactory(unit=tree["org"], period_start=timezone.localdate().replace(day=1), staff=200)
    awareness = TrainingTier.objects.get(slug="awareness")
    for _ in range(2):
        TrainingRecordFactory(unit=tree["team"], tier=awareness, completed_on=timezone.localdate())
    return {"series": series}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def test_a_leader_makes_a_pack_on_demand_and_it_is_kept_listed_and_audited(
    tree: dict[str, Unit], leader: User, board_data: dict
) -> None:
    client = client_for(leader)
    response = client.post("/reporting/units/RAA/board/", {"action": "make"})
    assert response.status_code == 302
    job = Job.objects.get(kind="reporting.board_pack")
    assert job.status == "done", job.message
    pack = BoardPack.objects.get()
    assert (pack.unit, pack.month, pack.trigger, pack.created_by) == (
        tree["org"], timezone.localdate().replace(day=1), "on_demand", leader,
    )  # fmt: skip
    assert AuditEvent.objects.filter(action="reporting.board_pack_make").count() == 1
    listing = _text(client.get("/reporting/units/RAA/board/").content.decode())
    assert timezone.localdate().strftime("%B %Y") in listing
    assert (f"/reporting/packs/{pack.pk}.pdf" in listing) is documents.pdf_available()
    assert ("PDF needs WeasyPrint" in listing) is not documents.pdf_available()
    html = _text(client.get(f"/reporting/packs/{pack.pk}/").content.decode())
    assert "<h1>Board pack: Riverside Hospitals</h1>" in html
    assert '<h2 id="matrix">Making Data Count summary</h2>' in html
    assert '<h2 id="capability">Capability</h2>' in html
    assert "2 people completed awareness training in the last 12 months (1.0% of staff" in html
    assert '<th scope="row">Awareness</th><td>2</td><td>1.0%</td>' in html


def test_the_packs_numbers_are_the_portfolio_pages_numbers(
    tree: dict[str, Unit], leader: User, board_data: dict
) -> None:
    client = client_for(leader)
    page = _text(client.get("/reporting/units/RAA/portfolio/").content.decode())
    pack = _text(client.get("/reporting/units/RAA/board/preview/").content.decode())
    sentence = "3 open projects (drafts and active); 0 (0%) have a patient or carer partner on the team and 3 (100%) have an improvement coach."
    assert sentence in page and sentence in pack
    assert (
        "1 of 1 teams (100%) have an active project" in page
        and "1 of 1 teams (100%) have an active project" in pack
    )


def test_the_schedule_makes_one_pack_a_month_with_the_chosen_measures_charted(
    tree: dict[str, Unit], leader: User, board_data: dict
) -> None:
    series = board_data["series"]
    response = client_for(leader).post(
        "/reporting/units/RAA/board/", {"action": "settings", "monthly": "on", "measures": [series.pk]}
    )
    assert response.status_code == 302
    schedule = BoardSchedule.objects.get(unit=tree["org"])
    assert list(schedule.measures.all()) == [series] and schedule.reader == leader
    assert services.request_due_packs() == 1
    assert services.request_due_packs() == 0  # the month has its scheduled pack: safe to run daily
    pack = BoardPack.objects.get(trigger="schedule")
    with pack.file.open("rb") as f:
        html = f.read().decode()
    assert html.count("<svg") >= 2  # the chosen measure's chart (vector) and the tree map
    assert "SPC chart of Falls per 1,000 bed days — Riverside Hospitals" in html


def test_a_chosen_series_outside_the_unit_is_refused_with_a_clear_message(
    tree: dict[str, Unit], leader: User
) -> None:
    outside = SeriesFactory(unit=tree["other_org"], measure=MeasureFactory(owner=tree["other_org"]))
    with pytest.raises(Exception, match="not measures of Riverside Hospitals"):
        services.save_board_schedule(unit=tree["org"], series_ids=[outside.pk], monthly=True, by=leader)
    assert not BoardSchedule.objects.exists()


def test_who_may_read_and_make_packs(
    tree: dict[str, Unit], leader: User, outsider: User, member: User
) -> None:
    # Packs hold the story of the month: read with a role on the unit (or above), made by its leaders.
    staff = user_with_role(Role.MEMBER, tree["org"])
    assert client_for(staff).get("/reporting/units/RAA/board/").status_code == 200
    assert client_for(staff).post("/reporting/units/RAA/board/", {"action": "make"}).status_code == 403
    assert client_for(member).get("/reporting/units/RAA/board/").status_code == 403  # a role in one team only
    assert client_for(outsider).get("/reporting/units/RAA/board/").status_code == 403
    assert not BoardPack.objects.exists()
    services.request_board_pack(unit=tree["org"], by=leader)
    pack = BoardPack.objects.get()
    assert client_for(outsider).get(f"/reporting/packs/{pack.pk}/").status_code == 404
    assert client_for(leader).get(f"/reporting/packs/{pack.pk}.html").status_code == 200


def test_the_pack_reads_into_word_blocks_headings_tables_and_chart_alternatives(
    tree: dict[str, Unit], leader: User, board_data: dict
) -> None:
    BoardSchedule.objects.create(unit=tree["org"], reader=leader).measures.set([board_data["series"]])
    services.request_board_pack(unit=tree["org"], by=leader)
    with BoardPack.objects.get().file.open("rb") as f:
        blocks = documents.pack_blocks(f.read().decode())
    kinds = [b.kind for b in blocks]
    assert blocks[0].kind == "h1" and blocks[0].text == "Board pack: Riverside Hospitals"
    assert "table" in kinds and any(b.kind == "figure" and b.text.startswith("SPC chart of") for b in blocks)
    matrix = next(b for b in blocks if b.kind == "table")
    assert (
        matrix.caption.startswith("Measures of Riverside Hospitals") and len(matrix.rows) == 5
    )  # the header and four assurance rows


def test_a_scheduled_pack_whose_reader_has_left_fails_saying_what_to_do(tree: dict[str, Unit]) -> None:
    leaver = user_with_role(Role.LEADER, tree["org"])
    BoardSchedule.objects.create(unit=tree["org"], reader=leaver)
    leaver.is_active = False
    leaver.save()
    services.request_due_packs()
    job = Job.objects.get(kind="reporting.board_pack")
    assert job.status == "failed" and "Save the board pack settings again" in job.message


def test_the_api_makes_a_pack_and_lists_them(tree: dict[str, Unit], leader: User, member: User) -> None:
    client = client_for(leader)
    response = client.post("/api/v1/reporting/units/RAA/board-packs", content_type="application/json")
    assert response.status_code == 202 and response.json()["status"] == "done"
    listed = client.get("/api/v1/reporting/units/RAA/board-packs").json()
    assert listed["count"] == 1 and listed["items"][0]["trigger"] == "on_demand"
    refused = client_for(member).post(
        "/api/v1/reporting/units/RAA/board-packs", content_type="application/json"
    )
    assert refused.status_code == 403


@pytest.fixture
def made(tree: dict[str, Unit], leader: User, board_data: dict) -> BoardPack:
    BoardSchedule.objects.create(unit=tree["org"], reader=leader).measures.set([board_data["series"]])
    services.request_board_pack(unit=tree["org"], by=leader)
    return BoardPack.objects.get()


def test_the_pdf_is_made_from_the_kept_html(leader: User, made: BoardPack) -> None:
    pytest.importorskip("weasyprint")
    response = client_for(leader).get(f"/reporting/packs/{made.pk}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert b"/Type /Page" in response.content or len(response.content) > 10_000


def test_the_word_document_has_real_headings_and_tables(leader: User, made: BoardPack) -> None:
    docx = pytest.importorskip("docx")
    response = client_for(leader).get(f"/reporting/packs/{made.pk}.docx")
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(response.content))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Title", "Heading"))]
    assert headings[0] == "Board pack: Riverside Hospitals" and "Making Data Count summary" in headings
    assert len(document.tables) >= 3  # the matrix, the portfolio's tables, ...
    assert (
        document.tables[0].cell(1, 0).text == "Assurance: consistently passing the target"
        or document.tables[0].rows
    )
    assert any(p.text.startswith("Chart: SPC chart of Falls") for p in document.paragraphs)


def test_without_the_libraries_pdf_and_word_say_what_is_missing(
    leader: User, made: BoardPack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(documents, "pdf_available", lambda: False)
    monkeypatch.setattr(documents, "word_available", lambda: False)
    client = client_for(leader)
    assert client.get(f"/reporting/packs/{made.pk}.pdf").status_code == 404
    assert client.get(f"/reporting/packs/{made.pk}.docx").status_code == 404
    assert "PDF needs WeasyPrint" in client.get("/reporting/units/RAA/board/").content.decode()


def test_the_pdf_fetcher_refuses_anything_but_spirals_static_files() -> None:
    with pytest.raises(ValueError, match="not one of Spiral's static files"):
        documents.static_file("http://example.com/x.css")
    body, kind = documents.static_file("http://spiral.invalid/static/reporting/board-pack.css")
    assert body.startswith(b"/*") and kind == "text/css"


def test_the_documented_command_queues_the_months_scheduled_packs(
    tree: dict[str, Unit], leader: User, board_data: dict, capsys: Any
) -> None:
    from django.core.management import call_command

    client_for(leader).post(
        "/reporting/units/RAA/board/",
        {"action": "settings", "monthly": "on", "measures": [board_data["series"].pk]},
    )
    call_command("make_board_packs")
    assert "1 board pack queued for this month." in capsys.readouterr().out
    call_command("make_board_packs")
    assert "0 board packs queued for this month." in capsys.readouterr().out
    assert BoardPack.objects.filter(trigger="schedule").count() == 1
