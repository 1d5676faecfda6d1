from __future__ import annotations

from tests.conftest import client_for
from tests.factories import ProjectFactory


def test_the_project_page_links_to_the_feedback_that_prompted_it(tree, member):
    project = ProjectFactory(unit=tree["team"])
    html = client_for(member).get(f"/projects/{project.pk}/").content.decode()
    assert f'href="/feedback/projects/{project.pk}/"' in html
    assert client_for(member).get(f"/feedback/projects/{project.pk}/").status_code == 200
