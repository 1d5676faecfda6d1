"""The default progress scale: IHI's Assessment Scale for Collaboratives (docs/reference/qi.md §1), as data."""

from decimal import Decimal

from django.db import migrations

IHI_LEVELS = [
    ("0.5", "Intent to participate", "Project identified; no charter yet; team not formed."),
    (
        "1.0",
        "Charter and team established",
        "Charter written and reviewed; people assigned; no work done yet.",
    ),
    (
        "1.5",
        "Planning for the project has begun",
        "Project organised: resources and support needed, where to focus first, materials gathered, meeting schedule set.",
    ),
    (
        "2.0",
        "Activity, but no changes",
        "First learning cycles under way: planning, measurement, data collection, baseline data, process study, surveys. No changes tested yet.",
    ),
    (
        "2.5",
        "Changes tested, but no improvement",
        "First test-of-change cycles have started. Most goals have a measure tracking progress, displayed graphically with targets.",
    ),
    (
        "3.0",
        "Modest improvement",
        "Successful tests for some parts of the change package; some small-scale implementation; anecdotal evidence of improvement; about 20% of expected results achieved.",
    ),
    (
        "3.5",
        "Improvement",
        "Testing and implementation continue; further improvement in project measures towards goals is seen.",
    ),
    (
        "4.0",
        "Significant improvement",
        "Expected results achieved for major subsystems; implementation (training, communication) has begun; 50% or more of project goals achieved.",
    ),
    (
        "4.5",
        "Sustainable improvement",
        "Data on key measures begin to show that the impact of implemented changes is being sustained.",
    ),
    (
        "5.0",
        "Outstanding sustainable results",
        "Implementation cycles complete; all goals and expected results achieved; organisational changes made to make the changes permanent.",
    ),
]


def add_ihi_scale(apps, schema_editor):
    ProgressScale = apps.get_model("projects", "ProgressScale")
    ProgressLevel = apps.get_model("projects", "ProgressLevel")
    scale = ProgressScale.objects.create(
        name="IHI Assessment Scale for Collaboratives", version=1, is_default=True
    )
    ProgressLevel.objects.bulk_create(
        ProgressLevel(scale=scale, score=Decimal(score), label=label, criteria=criteria)
        for score, label, criteria in IHI_LEVELS
    )


def remove_ihi_scale(apps, schema_editor):
    ProgressScale = apps.get_model("projects", "ProgressScale")
    ProgressScale.objects.filter(name="IHI Assessment Scale for Collaboratives", version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]

    operations = [migrations.RunPython(add_ihi_scale, remove_ihi_scale)]
