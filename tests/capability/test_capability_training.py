"""Training records: tiers as data, one record per training, who may record it, screening, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from spiral.capability import services
from spiral.capability.models import TrainingRecord, TrainingTier
from spiral.core.models import AuditEvent
from tests.conftest import client_for


def test_the_five_tiers_are_data_loaded_by_the_migration(db):
    assert list(TrainingTier.objects.order_by("kind", "level").values_list("slug", flat=True)) == [
        "awareness",
        "practitioner",
        "coach",
        "leaders",
        "board",
    ]
    assert TrainingTier.objects.get(slug="coach").is_coach


def test_the_same_training_recorded_twice_is_one_record(nurse, tier):
    first, created = services.record_training(person=nurse, tier=tier("awareness"), completed_on=dt.date(2025, 3, 1),
                                              provider="QI team", by=nurse)  # fmt: skip
    again, created_again = services.record_training(person=nurse, tier=tier("awareness"),
                                                    completed_on=dt.date(2025, 3, 1), provider="QI team", by=nurse)  # fmt: skip
    assert created and not created_again
    assert again.pk == first.pk
    assert TrainingRecord.objects.count() == 1
    assert AuditEvent.objects.filter(action="capability.training_add").count() == 1


def test_the_database_refuses_a_second_copy_of_the_same_training(nurse, tier, tree):
    from django.db import IntegrityError, transaction

    services.record_training(person=nurse, tier=tier("awareness"), completed_on=dt.date(2025, 3, 1),
                             provider="QI team", by=None)  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingRecord.objects.create(person=nurse, tier=tier("awareness"), unit=tree["team"],
                                      completed_on=dt.date(2025, 3, 1), provider="Other")  # fmt: skip


def test_a_leader_of_a_unit_above_records_a_persons_training(nurse, medicine_leader, tier, tree):
    record, _ = services.record_training(person=nurse, tier=tier("practitioner"), completed_on=dt.date(2025, 1, 9),
                                         provider="ELFT", by=medicine_leader)  # fmt: skip
    assert record.unit == tree["team"]
    assert record.created_by == medicine_leader


def test_a_colleague_and_a_leader_elsewhere_may_not_record_it(nurse, colleague, outsider, tier):
    for who in (colleague, outsider):
        with pytest.raises(PermissionDenied):
            services.record_training(person=nurse, tier=tier("awareness"), completed_on=dt.date(2025, 3, 1),
                                     provider="QI team", by=who)  # fmt: skip
    assert not TrainingRecord.objects.exists()


def test_personal_data_in_the_evidence_is_refused_and_nothing_is_written(nurse, tier):
    with pytest.raises(ValidationError) as err:
        services.record_training(person=nurse, tier=tier("awareness"), completed_on=dt.date(2025, 3, 1),
                                 provider="QI team", evidence="Call me on 07700 900123", by=nurse)  # fmt: skip
    assert "evidence" in err.value.message_dict
    assert not TrainingRecord.objects.exists()


def test_a_future_date_and_a_missing_provider_are_refused_each_with_its_message(nurse, tier):
    with pytest.raises(ValidationError) as err:
        services.record_training(person=nurse, tier=tier("awareness"), completed_on=dt.date.today() + dt.timedelta(days=2),
                                 provider=" ", by=nurse)  # fmt: skip
    assert "future" in err.value.message_dict["completed_on"][0]
    assert "provided" in err.value.message_dict["provider"][0]


def test_the_person_records_their_own_training_on_their_page(nurse, tier, tree):
    client = client_for(nurse)
    response = client.post(f"/capability/people/{nurse.pk}/", {
        "tier": tier("awareness").pk, "completed_on": "14/03/2025", "provider": "IHI Open School",
        "unit": tree["team"].pk, "evidence": "https://example.org/cert/1",
    })  # fmt: skip
    assert response.status_code == 302
    assert nurse.training_records.get().provider == "IHI Open School"
    page = client.get(f"/capability/people/{nurse.pk}/")
    assert "IHI Open School" in page.content.decode()


def test_the_persons_page_shows_each_missing_field_its_own_message(nurse):
    response = client_for(nurse).post(f"/capability/people/{nurse.pk}/", {})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Enter who provided the training" in body and "Choose the tier" in body


def test_a_colleague_posting_on_the_persons_page_is_refused(nurse, colleague, tier, tree):
    response = client_for(colleague).post(f"/capability/people/{nurse.pk}/", {
        "tier": tier("awareness").pk, "completed_on": "14/03/2025", "provider": "x", "unit": tree["team"].pk})  # fmt: skip
    assert response.status_code == 403
    assert not TrainingRecord.objects.exists()


def test_a_leader_records_one_course_for_many_people_of_a_unit(nurse, colleague, medicine_leader, tier, tree):
    response = client_for(medicine_leader).post(f"/capability/units/{tree['directorate'].code}/record/", {
        "tier": tier("awareness").pk, "completed_on": "01/02/2025", "provider": "QI team",
        "people": [nurse.pk, colleague.pk],
    })  # fmt: skip
    assert response.status_code == 302
    assert TrainingRecord.objects.count() == 2
    again = services.record_training_many(unit=tree["directorate"], people=[nurse, colleague], tier=tier("awareness"),
                                          completed_on=dt.date(2025, 2, 1), provider="QI team", by=medicine_leader)  # fmt: skip
    assert again == (0, 2)


def test_bulk_recording_refuses_someone_outside_the_unit_and_writes_nothing(
    nurse, outsider, medicine_leader, tier, tree
):
    with pytest.raises(ValidationError):
        services.record_training_many(unit=tree["directorate"], people=[nurse, outsider], tier=tier("awareness"),
                                      completed_on=dt.date(2025, 2, 1), provider="QI team", by=medicine_leader)  # fmt: skip
    assert not TrainingRecord.objects.exists()


def test_the_unit_and_person_pages_link_to_capability(nurse, tree):
    client = client_for(nurse)
    assert (
        f"/capability/units/{tree['org'].code}/leaders/"
        in client.get(f"/units/{tree['org'].code}/").content.decode()
    )
    assert f"/capability/people/{nurse.pk}/" in client.get(f"/people/{nurse.pk}/").content.decode()
