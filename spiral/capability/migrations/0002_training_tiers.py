"""The dosage tiers (docs/reference/qi.md §7) as data: a trust renames or adds tiers without new code."""

from __future__ import annotations

from typing import Any

from django.db import migrations

TIERS = [
    # slug, name, kind, level, is_coach, who, typical dose
    ("awareness", "Awareness", "improvement", 1, False, "All staff, service users and carers",
     "About 1-2 hours, online or face to face"),
    ("practitioner", "Practitioner", "improvement", 2, False, "Project team members and project leads",
     "Several days over months, while running a project"),
    ("coach", "Improvement advisor or coach", "improvement", 3, True, "People who support teams",
     "About 6 months: workshop days and webinars"),
    ("leaders", "Leaders' programme", "leadership", 1, False, "Managers, directors and senior leaders",
     "Leadership-specific sessions on leading improvement"),
    ("board", "Board development", "leadership", 2, False, "Board members",
     "Board sessions, for example Making Data Count"),
]  # fmt: skip


def load(apps: Any, schema_editor: Any) -> None:
    Tier = apps.get_model("capability", "TrainingTier")
    for slug, name, kind, level, is_coach, who, dose in TIERS:
        Tier.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "kind": kind, "level": level, "is_coach": is_coach, "who": who,
                      "typical_dose": dose},
        )  # fmt: skip


def unload(apps: Any, schema_editor: Any) -> None:
    apps.get_model("capability", "TrainingTier").objects.filter(slug__in=[t[0] for t in TIERS]).delete()


class Migration(migrations.Migration):
    dependencies = [("capability", "0001_training_and_headcount")]
    operations = [migrations.RunPython(load, unload)]
