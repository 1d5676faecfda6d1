"""The warning callouts on the similar-work and project pages show what they warn about (they rendered
empty while the templates passed their body under a key the NHS.UK macro does not read)."""

from __future__ import annotations

import re

from spiral.knowledge import search
from spiral.measurement.models import Series
from spiral.organisations.models import Unit, User
from spiral.projects.models import ProjectMeasure
from tests.conftest import client_for
from tests.factories import MeasureFactory, ProjectFactory


def _callout(html: str, heading: str) -> str:
    """The text from the callout's heading to the page's next section heading, tags removed."""
    start = html.index(heading)
    end = html.index("<h2", start)
    return re.sub(r"<[^>]+>", " ", html[start:end])


def test_the_similar_page_lists_the_overlapping_projects_in_its_warning(
    tree: dict[str, Unit], member: User
) -> None:
    measure = MeasureFactory(owner=tree["icb"], is_indicator=True)
    mine = ProjectFactory(unit=tree["team"], title="Discharge earlier", aim="Discharge before noon")
    twin = ProjectFactory(unit=tree["other_team"], title="Home by lunchtime", aim="Something else")
    for p, unit in ((mine, tree["team"]), (twin, tree["other_team"])):
        series = Series.objects.create(measure=measure, unit=unit)
        ProjectMeasure.objects.create(project=p, series=series, role="outcome", is_aim=True)
    search.rebuild()
    html = client_for(member).get(f"/projects/{mine.pk}/similar/").content.decode()
    callout = _callout(html, "Others nearby may be doing this already")
    assert "Home by lunchtime" in callout
    assert "the same outcome measure" in callout
    assert f'href="/projects/{twin.pk}/"' in html


def test_a_draft_project_page_says_what_its_aim_lacks(tree: dict[str, Unit], member: User) -> None:
    project = ProjectFactory(unit=tree["team"], status="draft", aim="", aim_measure="")
    html = client_for(member).get(f"/projects/{project.pk}/").content.decode()
    callout = _callout(html, "The aim is not yet measurable")
    assert "To make the aim measurable, add:" in callout
    assert "how much: a target value" in callout
    assert "by when: a date" in callout
