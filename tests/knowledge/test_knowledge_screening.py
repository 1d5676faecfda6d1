"""Knowledge text (resources, communities, posts, field tests, adoptions) holding personal data is refused
in the service, with a message naming the field and what was found."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from spiral.knowledge import services
from spiral.knowledge.models import FieldTest, Resource, Thread
from spiral.organisations.models import Unit, User
from tests.factories import MeasureFactory

pytestmark = pytest.mark.django_db


def test_a_resource_summary_with_a_spelled_out_email_is_refused(tree: dict[str, Unit], leader: User) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_resource(
            unit=tree["org"], title="Falls toolkit", kind="tool", summary="Ask jo dot bloggs at gmail dot com",
            by=leader,
        )  # fmt: skip
    assert caught.value.message_dict["summary"][0].startswith(
        "The summary looks like it holds an email address"
    )
    assert not Resource.objects.exists()


def test_a_resource_edit_is_not_refused_for_old_text_it_does_not_change(
    tree: dict[str, Unit], leader: User
) -> None:
    resource = services.create_resource(unit=tree["org"], title="Old", kind="tool", summary="S", by=leader)
    Resource.objects.filter(pk=resource.pk).update(body="Contact Mrs Patel on ward 4")  # written before
    services.update_resource(resource=resource, title="New title", by=leader)
    assert Resource.objects.get(pk=resource.pk).title == "New title"


def test_a_thread_title_with_a_name_is_refused_and_nothing_is_posted(
    tree: dict[str, Unit], member: User
) -> None:
    community = services.create_community(unit=tree["org"], name="Sepsis", by=None)
    services.join_community(community=community, by=member)
    with pytest.raises(ValidationError) as caught:
        services.start_thread(
            community=community, title="My name is Sarah Jones", body="Hello all", by=member
        )
    assert "The title looks like it holds a name" in caught.value.message_dict["title"][0]
    assert not Thread.objects.exists()


def test_a_field_test_description_with_a_landline_is_refused(tree: dict[str, Unit], leader: User) -> None:
    measure = MeasureFactory(owner=tree["region"], is_indicator=True)
    with pytest.raises(ValidationError) as caught:
        services.create_field_test(
            sponsor=tree["region"], title="Red trays", change_idea="Red trays at meals", measure=measure,
            starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 6, 1), by=leader,
            description="Sites ring (0161) 496 0123 to join",
        )  # fmt: skip
    assert "a phone number" in caught.value.message_dict["description"][0]
    assert not FieldTest.objects.exists()
