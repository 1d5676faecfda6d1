"""The fields many records share (spiral.core.models: CreatedAt, UpdatedAt, CreatedBy, Created,
Timestamped, Versioned), defined once and inherited without changing any table."""

from __future__ import annotations

import io

from django.apps import apps
from django.core.management import call_command
from django.db import models

from spiral.core.models import CreatedAt, CreatedBy, UpdatedAt, Versioned
from spiral.organisations import services
from tests.factories import UserFactory


def test_inheriting_the_shared_fields_needs_no_migration(db):
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # exits 1 on a change
    assert "No changes detected" in out.getvalue()


def test_no_model_writes_a_shared_field_out_by_hand():
    shared = {
        "created_at": CreatedAt, "updated_at": UpdatedAt, "created_by": CreatedBy, "version": Versioned,
    }  # fmt: skip
    by_hand = []
    for model in apps.get_models():
        names = {f.name for f in model._meta.get_fields()}
        for name in names & set(shared):
            base = shared[name]
            same = (
                model._meta.get_field(name).deconstruct()[1:] == base._meta.get_field(name).deconstruct()[1:]
            )
            if same and not issubclass(model, base):
                by_hand.append(f"{model._meta.label}.{name}")
    assert by_hand == []


def test_a_versioned_record_starts_at_version_one_and_each_edit_raises_it(tree, leader):
    unit = tree["org"]
    assert unit.version == 1
    updated = services.update_unit(unit=unit, by=leader, name="Riverside General")
    assert updated.version == 2


def test_a_record_knows_who_made_it_and_when_and_when_it_was_last_saved(tree):
    from spiral.knowledge.models import Resource

    person = UserFactory()
    resource = Resource.objects.create(
        unit=tree["org"], title="A guide", kind="guide", summary="s", created_by=person
    )
    first_saved = resource.updated_at
    resource.title = "A better guide"
    resource.save()
    resource.refresh_from_db()
    assert resource.created_by == person
    assert resource.created_at <= first_saved < resource.updated_at


def test_the_person_who_made_a_record_can_go_and_the_record_stays(tree):
    from spiral.knowledge.models import Resource

    field = Resource._meta.get_field("created_by")
    assert field.remote_field.on_delete is models.SET_NULL and field.null
