"""A unit code that cannot be part of a page address is refused on the page, and the parent page stays up."""

from __future__ import annotations

import pytest

from spiral.measurement.models import Measure
from spiral.organisations.models import Unit
from tests.conftest import client_for, user_with_role


@pytest.mark.parametrize("code", ["RAA-MED/02", "..", "RAA\u2013MED-02", "RAA MED 02", "RAA-MED-02?x"])
def test_adding_a_unit_with_a_code_pages_cannot_link_to_is_refused_and_the_parent_page_still_opens(
    tree, leader, code
):
    client = client_for(leader)
    response = client.post("/units/RAA-MED/add/", {"kind": "team", "code": code, "name": "Ward 2"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and 'href="#id_code"' in html
    assert not Unit.objects.filter(name="Ward 2").exists()
    assert client.get("/units/RAA-MED/").status_code == 200


def test_renaming_a_unit_to_a_code_with_a_slash_is_refused(tree, leader):
    response = client_for(leader).post("/units/RAA-MED-01/edit/", {"code": "RAA/1", "name": "Ward 1"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert Unit.objects.filter(code="RAA-MED-01").exists()


def test_a_measure_code_with_a_slash_is_refused_on_the_page(tree):
    analyst = user_with_role("analyst", tree["org"])
    response = client_for(analyst).post(
        "/measures/new/?unit=RAA",
        {"code": "SEP/1", "name": "Sepsis", "measure_type": "process", "chart": "p",
         "improvement": "increase", "frequency": "month"},
    )  # fmt: skip
    html = response.content.decode()
    assert "There is a problem" in html and 'href="#id_code"' in html
    assert not Measure.objects.exists()
