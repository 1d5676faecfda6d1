from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from spiral.core.models import AuditEvent
from spiral.organisations import queries, services
from spiral.organisations.models import Unit


def test_subtree_query_finds_the_unit_and_everything_beneath(tree, member):
    found = set(Unit.objects.filter(tree["org"].subtree_q()).values_list("code", flat=True))
    assert found == {"RAA", "RAA-MED", "RAA-MED-01"}


def test_ancestors_come_from_the_path_root_first(tree, member):
    chain = queries.ancestors(member, tree["team"])
    assert [u.code for u in chain] == ["ENG", "Y56", "QAA", "RAA", "RAA-MED"]


def test_moving_a_unit_rewrites_every_path_beneath_it(tree, admin_user):
    services.move_unit(unit=tree["directorate"], new_parent=tree["other_org"], by=admin_user)
    team = Unit.objects.get(code="RAA-MED-01")
    assert team.path.startswith(Unit.objects.get(code="RBB").path)
    assert team.depth == 5
    assert set(Unit.objects.filter(tree["other_org"].subtree_q()).values_list("code", flat=True)) == {
        "RBB", "RBB-T1", "RAA-MED", "RAA-MED-01",
    }  # fmt: skip
    assert AuditEvent.objects.filter(action="unit.move", object_id=str(tree["directorate"].pk)).exists()


def test_a_unit_cannot_move_under_its_own_descendant(tree, admin_user):
    with pytest.raises(ValidationError) as caught:
        services.move_unit(unit=tree["org"], new_parent=tree["directorate"], by=admin_user)
    assert "cannot move under itself" in str(caught.value)
    assert Unit.objects.get(code="RAA").parent == tree["icb"]


def test_a_team_cannot_sit_directly_under_an_icb(tree, admin_user):
    with pytest.raises(ValidationError) as caught:
        services.create_unit(code="T9", name="Stray team", kind="team", parent=tree["icb"], by=admin_user)
    assert "a team must sit under an organisation or a directorate, not under an icb" in str(caught.value)
    assert not Unit.objects.filter(code="T9").exists()


def test_an_empty_name_is_refused(tree, admin_user):
    with pytest.raises(ValidationError) as caught:
        services.create_unit(code="T9", name="  ", kind="team", parent=tree["org"], by=admin_user)
    assert caught.value.message_dict == {"name": ["Enter a name"]}


def test_a_move_tells_the_apps_that_follow_the_hierarchy_once_and_a_refused_move_tells_none(
    tree, admin_user, monkeypatch
):
    from spiral.organisations import extensions

    heard = []
    monkeypatch.setattr(extensions, "_units_moved", [])
    extensions.register_units_moved(lambda units: heard.append([u.code for u in units]))
    extensions.register_units_moved(extensions._units_moved[0])  # registering again changes nothing
    services.move_unit(unit=tree["directorate"], new_parent=tree["other_org"], by=admin_user)
    assert heard == [["RAA-MED"]]
    with pytest.raises(ValidationError):
        services.move_unit(unit=tree["org"], new_parent=tree["team"], by=admin_user)
    services.move_unit(unit=tree["directorate"], new_parent=tree["other_org"], by=admin_user)  # already there
    assert len(heard) == 1


def test_a_units_import_tells_of_all_its_moves_once_at_the_end(tree, admin_user, monkeypatch):
    from spiral.organisations import extensions
    from spiral.organisations.imports import import_units

    heard = []
    monkeypatch.setattr(extensions, "_units_moved", [])
    extensions.register_units_moved(lambda units: heard.append(sorted(u.code for u in units)))
    data = (
        b"code,name,kind,parent_code,organisation_type\n"
        b"RAA-MED,Medicine,directorate,RBB,\n"
        b"RBB-T1,District nurses,team,RAA-MED,\n"
    )
    result = import_units(data, by=admin_user, filename="units.csv")
    assert result.applied, result.problems
    assert heard == [["RAA-MED", "RBB-T1"]]
    assert Unit.objects.get(code="RBB-T1").path.startswith(Unit.objects.get(code="RAA-MED").path)


def test_a_failed_batch_of_moves_tells_nobody(tree, admin_user, monkeypatch):
    from spiral.organisations import extensions

    heard = []
    monkeypatch.setattr(extensions, "_units_moved", [])
    extensions.register_units_moved(heard.append)
    with pytest.raises(ValidationError), extensions.moves_batched():
        services.move_unit(unit=tree["directorate"], new_parent=tree["other_org"], by=admin_user)
        services.move_unit(unit=tree["org"], new_parent=tree["team"], by=admin_user)
    assert heard == []
