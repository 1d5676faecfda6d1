"""Starting a project shows overlapping work before it is saved: the form's "Check for similar work"
button (no JavaScript) and the fragment its script asks for."""

from __future__ import annotations

import pytest

from spiral.knowledge import search
from spiral.organisations.models import Unit, User
from spiral.projects.models import Project
from tests.conftest import client_for
from tests.factories import ProjectFactory, UserFactory

DRAFT = {
    "unit": "RAA-MED-01",
    "title": "Text reminders for missed outpatient appointments",
    "aim": "Halve missed outpatient appointments with text reminders",
    "problem": "",
    "aim_measure": "",
    "status": "draft",
}


@pytest.fixture
def alike(tree: dict[str, Unit]) -> dict[str, Project]:
    """An active project in the same organisation, one in another ICB, and one about something else."""
    region = tree["region"]
    far_icb = Unit.objects.create(kind="icb", code="QZZ", name="NHS Faraway ICB", parent=region)
    far_org = Unit.objects.create(kind="organisation", code="RZZ", name="Faraway Trust", parent=far_icb)
    made = {
        "nearby": ProjectFactory(
            unit=tree["directorate"],
            title="Text message reminders for missed appointments",
            aim="Fewer missed outpatient appointments through text reminders",
        ),
        "elsewhere": ProjectFactory(
            unit=far_org,
            title="Reminders by text for missed clinic appointments",
            aim="Reduce missed appointments with text reminders",
        ),
        "other": ProjectFactory(
            unit=tree["directorate"], title="Car parking", aim="More parking spaces for staff"
        ),
    }
    # Unrelated work around them, as in any catalogue: ranking by words needs a corpus in which the
    # shared words are rare (on three documents every word is common and BM25 weighs it at nothing).
    for topic in ("Pressure ulcers", "Sepsis screening", "Falls at night", "Discharge before noon",
                  "Insulin errors", "Staff wellbeing", "Hand hygiene", "Sleep on the ward"):  # fmt: skip
        ProjectFactory(unit=far_org, title=topic, aim=f"Improve {topic.lower()} by spring")
    search.rebuild()
    return made


def test_checking_for_similar_work_lists_it_on_the_form_and_saves_nothing(
    alike: dict[str, Project], member: User
) -> None:
    before = Project.objects.count()
    response = client_for(member).post("/projects/new/", DRAFT | {"check_similar": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert Project.objects.count() == before
    nearby = html[
        html.index("Others nearby may be doing this already") : html.index("Similar work elsewhere")
    ]
    assert "Text message reminders for missed appointments" in nearby
    assert "Medicine" in nearby
    elsewhere = html[html.index("Similar work elsewhere") :]
    assert "Reminders by text for missed clinic appointments" in elsewhere
    assert "Car parking" not in html
    # What was typed is still in the form, and not judged: no error summary for a check.
    assert 'value="Text reminders for missed outpatient appointments"' in html
    assert "There is a problem" not in html


def test_the_form_offers_the_check_before_anything_is_typed(member: User) -> None:
    html = client_for(member).get("/projects/new/").content.decode()
    assert 'name="check_similar"' in html
    assert 'data-similar-url="/projects/new/similar/"' in html
    assert "Others nearby" not in html


def test_the_fragment_lists_similar_work_for_the_forms_script(
    alike: dict[str, Project], member: User
) -> None:
    query = {k: v for k, v in DRAFT.items() if k in ("unit", "title", "aim")}
    response = client_for(member).post("/projects/new/similar/", query)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # a fragment, not a page
    assert "Others nearby may be doing this already" in html
    assert f'href="/projects/{alike["nearby"].pk}/"' in html
    assert f'href="/projects/{alike["elsewhere"].pk}/"' in html
    assert "Car parking" not in html


def test_the_fragment_says_when_nothing_is_alike(alike: dict[str, Project], member: User) -> None:
    html = client_for(member).post("/projects/new/similar/", {"title": "Zebra crossings"}).content.decode()
    assert "No saved project looks like this one yet." in html


def test_the_fragment_without_a_unit_lists_everything_as_elsewhere(
    alike: dict[str, Project], member: User
) -> None:
    html = client_for(member).post("/projects/new/similar/", {"title": DRAFT["title"]}).content.decode()
    assert "Others nearby" not in html
    assert "Text message reminders for missed appointments" in html


def test_the_fragment_refuses_anonymous_and_people_who_may_not_start_projects(
    alike: dict[str, Project],
) -> None:
    assert client_for(None).post("/projects/new/similar/", {"title": "x"}).status_code == 302
    nobody = UserFactory()
    assert client_for(nobody).post("/projects/new/similar/", {"title": "x"}).status_code == 403


def test_the_fragment_takes_what_is_typed_by_post_only(alike: dict[str, Project], member: User) -> None:
    # Typed text stays out of addresses (and so out of access logs).
    assert client_for(member).get("/projects/new/similar/", {"title": "x"}).status_code == 405


def test_a_form_sent_with_errors_shows_similar_work_too(alike: dict[str, Project], member: User) -> None:
    html = client_for(member).post("/projects/new/", DRAFT | {"unit": "NOPE"}).content.decode()
    assert "No team or service has the code NOPE" in html
    assert "Text message reminders for missed appointments" in html
